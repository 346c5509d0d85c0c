// Everything the page's C++ side owns: the browser host, the UI application (engine and
// panels), and what the JS API reports beside them.
//
// Design note: JS reaches C++ only through the extern "C" functions in web/exports.cpp, which
// need one well-known object to act on. main() creates exactly one WebSession and registers it
// with set_session(); it lives for the life of the page (the Emscripten main loop never returns).
#pragma once

#include <string>
#include <vector>

#include "engine/board/machine_link.h"
#include "iommu/iommu_devices.h"
#include "ui/app.h"
#include "web/browser_host.h"

namespace glassvm::web {

/// The page's state behind window.glassvm.
struct WebSession {
  /// The page's machines may have the IOMMU models too, as the command line's do.
  WebSession() : app(host) { register_iommu_devices(app.registry()); }
  WebSession(const WebSession&) = delete;
  WebSession& operator=(const WebSession&) = delete;

  BrowserHost host;
  ui::App app;             ///< must follow `host` (it keeps a reference)
  std::string last_error;  ///< the error of the last failed call (load, RAM size, breakpoint)
  std::string scratch;     ///< storage for strings returned to JS, valid until the next call
  std::vector<uint8_t> snapshot;      ///< the last glassvm_save_snapshot()'s bytes
  MachineLink link;                   ///< the last link glassvm_parse_link() read (to open)
  std::vector<uint8_t> link_bytes;    ///< the last glassvm_share_link()'s binary form
  std::vector<uint8_t> disk_changes;  ///< the last glassvm_disk_take_changes()'s records
};

/// Registers the session the exported functions act on (nullptr unregisters). Calls made by JS
/// before a session exists do nothing and report failure.
void set_session(WebSession* session);

}  // namespace glassvm::web
