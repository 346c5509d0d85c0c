// glassvm: the native command line. Options follow QEMU's spelling where one exists.
//
//   glassvm [-M virt] [-m 128M] [-bios none|default|FILE] -kernel FILE [-initrd FILE]
//           [-append ARGS] [-nographic] [--max-insns N] [-d in_asm,int] [-D logfile]
//           [--info-mtree] [--dump-dtb FILE] [--trace-iommu] [--stats] [--jit=on|off]
//
// The same program runs under node as the wasm build's glassvm-node (main_node.cpp); both set
// up and run the machine through cli/session.h.
//
// Exit status: the guest's exit code (HTIF or test device); 2 for a problem with the command
// line or the files it names; 3 when --max-insns stopped the guest.
#include "cli/native_host.h"
#include "cli/session.h"

using namespace glassvm;

int main(int argc, char** argv) {
  int status = 0;
  std::unique_ptr<Session> session = Session::open(
      argc, argv,
      [](const CliOptions& opts) {
        return std::make_unique<NativeHost>(/*raw_tty=*/!opts.info_mtree);
      },
      status);
  if (!session) return status;
  auto& host = static_cast<NativeHost&>(session->host());
  for (;;) {
    const Step step = session->step();
    if (step.kind == Step::Kind::Exit) return step.status;
    if (step.kind == Step::Kind::Wait) host.wait_for_input(step.wait_ms);
  }
}
