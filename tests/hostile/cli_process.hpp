// Runs the majordomo CLI as a child process with a hard time limit, capturing stdout and stderr.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace majordomo::hostile {

struct ProcessResult {
  int exit_code = -1;    // valid when !signalled and !killed_for_hanging
  int signal = 0;        // the signal that ended the process, 0 if it exited
  bool killed_for_hanging = false;
  std::chrono::steady_clock::time_point started, ended;
  std::chrono::milliseconds elapsed{0};  // ended - started
  std::string out;
  std::string err;
};

// Starts `argv` with exactly `environment` (NAME=VALUE entries), reads both pipes concurrently,
// and kills the process (SIGKILL, by its pid) if it is still running after `hard_limit`.
ProcessResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& environment,
                          std::chrono::milliseconds hard_limit);

}  // namespace majordomo::hostile
