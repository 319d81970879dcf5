// Clean shutdown on SIGTERM and SIGINT: the handler only sets a flag; loops poll stop_requested()
// and finish or cancel their in-flight work before returning. Blocking reads are interrupted
// (no SA_RESTART) so a program waiting on an idle pipe still notices.
#pragma once

namespace sm {

void install_stop_handlers();
bool stop_requested();
void request_stop();  // what the handler does; also for tests

}  // namespace sm
