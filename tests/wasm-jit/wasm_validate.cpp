// validate_wasm(): wabt's wasm-validate in a child process (posix_spawn), then binaryen's C API.
#include "tests/wasm-jit/wasm_validate.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <binaryen-c.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <vector>

extern char** environ;

namespace glassvm::test {
namespace {

constexpr size_t kMaxMessage = 64 * 1024;  // of a validator's messages kept in `error`

// A temporary file holding some bytes, removed with the object.
class TempFile {
 public:
  explicit TempFile(std::span<const uint8_t> bytes) {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir && *dir ? dir : "/tmp") + "/glassvm-wasm-XXXXXX";
    const int fd = mkstemp(path_.data());
    if (fd < 0) {
      error_ = path_ + ": " + std::strerror(errno);
      path_.clear();
      return;
    }
    for (size_t done = 0; done < bytes.size();) {
      const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error_ = path_ + ": " + std::strerror(errno);
        break;
      }
      done += static_cast<size_t>(n);
    }
    close(fd);
  }
  ~TempFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  std::string error_;
};

// Runs `tool` with `args`; its stdout and stderr go to `output` (the first kMaxMessage bytes).
// Returns its exit status, or -1 with `output` saying why it did not run or finish.
int run_tool(const char* tool, const std::vector<std::string>& args, std::string& output) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    output = std::string("pipe: ") + std::strerror(errno);
    return -1;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  std::vector<char*> argv{const_cast<char*>(tool)};
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, tool, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (spawned != 0) {
    close(pipe_fds[0]);
    output = std::string(tool) + ": " + std::strerror(spawned);
    return -1;
  }
  char buf[4096];
  for (;;) {  // read to EOF, keeping the first kMaxMessage bytes, so the child never blocks
    const ssize_t n = read(pipe_fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(
        buf, std::min(static_cast<size_t>(n), kMaxMessage - std::min(kMaxMessage, output.size())));
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      output = std::string("waitpid: ") + std::strerror(errno);
      return -1;
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  output += std::string(tool) + " killed by signal " + std::to_string(WTERMSIG(status));
  return -1;
}

}  // namespace

bool validate_wasm_binaryen(std::span<const uint8_t> module, std::string& error) {
  std::vector<char> bytes(module.begin(), module.end());  // the API takes a mutable buffer
  BinaryenSetColorsEnabled(false);
  BinaryenModuleRef m = BinaryenModuleRead(bytes.data(), bytes.size());
  BinaryenModuleSetFeatures(m, BinaryenFeatureSignExt() | BinaryenFeatureMutableGlobals() |
                                   BinaryenFeatureNontrappingFPToInt() |
                                   BinaryenFeatureBulkMemory() | BinaryenFeatureTailCall());
  std::ostringstream printed;
  std::streambuf* const old_out = std::cout.rdbuf(printed.rdbuf());
  std::streambuf* const old_err = std::cerr.rdbuf(printed.rdbuf());
  const bool valid = BinaryenModuleValidate(m);
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  BinaryenModuleDispose(m);
  error = valid ? "" : "binaryen: " + printed.str().substr(0, kMaxMessage);
  return valid;
}

bool validate_wasm(std::span<const uint8_t> module, std::string& error) {
  error.clear();
  const TempFile file(module);
  if (!file.error().empty()) {
    error = "cannot write the module for wasm-validate: " + file.error();
    return false;
  }
  std::vector<std::string> args(std::begin(kWabtFeatureOptions), std::end(kWabtFeatureOptions));
  args.push_back(file.path());
  std::string output;
  const int status = run_tool(GLASSVM_WASM_VALIDATE, args, output);
  if (status != 0) {
    error = status < 0 ? "wasm-validate did not run: " + output
                       : "wasm-validate (exit status " + std::to_string(status) + "): " + output;
    return false;
  }
  return validate_wasm_binaryen(module, error);
}

bool assemble_wat(std::string_view text, std::vector<uint8_t>& module, std::string& error) {
  error.clear();
  module.clear();
  const TempFile input(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  const TempFile output({});
  if (!input.error().empty() || !output.error().empty()) {
    error = "cannot write a temporary file: " + input.error() + output.error();
    return false;
  }
  std::string messages;
  const int status =
      run_tool(GLASSVM_WAT2WASM,
               {"--no-check", "--enable-tail-call", input.path(), "-o", output.path()}, messages);
  if (status != 0) {
    error = "wat2wasm (exit status " + std::to_string(status) + "): " + messages;
    return false;
  }
  std::ifstream in(output.path(), std::ios::binary);
  module.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

}  // namespace glassvm::test
