/* The collector's process-wide state, in one place: what it is and which
 * lock a free-threaded build would need for each part is in collector.h. */
#include "collector.h"

CollectorState ccov_state;  /* set by start(), cleared by stop() (module.c) */
CollectorStats ccov_stats;  /* the counters `CCOV_STATS=1` prints (stats.c) */
