/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `tsnproxy metrics --listen`: the enforce mode's metrics (lib/proxy_metrics.c) served over HTTP
 * by libmicrohttpd, freshly rendered for each GET of /metrics. Built without it (make
 * NO_HTTP=1, the static binaries the DaemonSet copies onto the node), serving is refused.
 */
#ifndef TSNPROXY_METRICS_HTTP_H
#define TSNPROXY_METRICS_HTTP_H

#include <stddef.h>

/* The port when --listen names no address's: the node's loopback only. */
#define METRICS_DEFAULT_ADDR "127.0.0.1"

/*
 * Bind and listen on spec: "PORT" (on METRICS_DEFAULT_ADDR), "ADDR:PORT" or "[ADDR6]:PORT",
 * numeric. A listening socket fd, -EINVAL for a spec that is none of those, or -errno of the
 * bind (-EADDRINUSE); err says which in one line.
 */
int metrics_listen(const char *spec, char *err, size_t errlen);

/*
 * Serve pin_dir's metrics on listening socket fd until SIGINT or SIGTERM (which the caller
 * blocks in every thread beforehand: this waits for them). 0, or -errno with err.
 */
int metrics_serve(int fd, const char *pin_dir, char *err, size_t errlen);

#endif /* TSNPROXY_METRICS_HTTP_H */
