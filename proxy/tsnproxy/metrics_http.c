// SPDX-License-Identifier: GPL-2.0-only
/* The metrics HTTP server of tsnproxy (see metrics_http.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef TSN_NO_HTTP
#include <microhttpd.h>
#endif

#include "metrics_http.h"
#include "proxy.h"

#define CONTENT_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* Split spec into host and port strings (host "" for a bare port). 0 or -EINVAL. */
static int split_spec(const char *spec, char *host, size_t hlen, char *port, size_t plen)
{
	const char *colon;
	size_t n;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		n = end - spec - 1;
		colon = end + 1;
		if (n >= hlen)
			return -EINVAL;
		memcpy(host, spec + 1, n);
		host[n] = '\0';
	} else {
		colon = strrchr(spec, ':');
		n = colon ? (size_t)(colon - spec) : 0;
		if (n >= hlen || (colon && strchr(spec, ':') != colon))
			return -EINVAL;
		memcpy(host, spec, n);
		host[n] = '\0';
	}
	snprintf(port, plen, "%s", colon ? colon + 1 : spec);
	return port[0] && strspn(port, "0123456789") == strlen(port) && atoi(port) > 0 &&
			       atoi(port) < 65536 ? 0 : -EINVAL;
}

int metrics_listen(const char *spec, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 8], port[16];
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr *sa = (struct sockaddr *)&a4;
	socklen_t salen = sizeof(a4);
	int fd, one = 1, e;

	/* numeric only (inet_pton, no resolver): a node agent's address is not a name to look up */
	if (split_spec(spec, host, sizeof(host), port, sizeof(port)))
		goto bad;
	if (!host[0])
		snprintf(host, sizeof(host), "%s", METRICS_DEFAULT_ADDR);
	a4.sin_port = a6.sin6_port = htons(atoi(port));
	if (inet_pton(AF_INET6, host, &a6.sin6_addr) == 1) {
		sa = (struct sockaddr *)&a6;
		salen = sizeof(a6);
	} else if (inet_pton(AF_INET, host, &a4.sin_addr) != 1) {
		goto bad;
	}
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = -errno;
		goto fail;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, sa, salen) || listen(fd, 16)) {
		e = -errno;
		close(fd);
		goto fail;
	}
	return fd;
fail:
	snprintf(err, errlen, "--listen: cannot listen on %s%s%s:%s: %s",
		 sa->sa_family == AF_INET6 ? "[" : "", host, sa->sa_family == AF_INET6 ? "]" : "",
		 port, strerror(-e));
	return e;
bad:
	snprintf(err, errlen,
		 "--listen: '%s' is not PORT, ADDR:PORT or [ADDR6]:PORT (numeric, port 1..65535)",
		 spec);
	return -EINVAL;
}

#ifdef TSN_NO_HTTP

int metrics_serve(int fd, const char *pin_dir, char *err, size_t errlen)
{
	snprintf(err, errlen, "--listen: this tsnproxy is built without libmicrohttpd (NO_HTTP=1); "
		 "`tsnproxy metrics` writes the text for a textfile collector");
	return -EOPNOTSUPP;
}

#else

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned int code, char *body,
			      size_t len, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **req_ctx)
{
	const char *pin_dir = cls;
	char *body;
	size_t len;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		body = strdup("only GET\n");
		return answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED, body, body ? strlen(body) : 0,
			      "text/plain");
	}
	if (strcmp(url, "/metrics")) {
		body = strdup("tsnproxy serves /metrics\n");
		return answer(conn, MHD_HTTP_NOT_FOUND, body, body ? strlen(body) : 0,
			      "text/plain");
	}
	body = tsn_proxy_metrics(pin_dir, &len);
	if (!body)
		return MHD_NO;
	return answer(conn, MHD_HTTP_OK, body, len, CONTENT_TYPE);
}

int metrics_serve(int fd, const char *pin_dir, char *err, size_t errlen)
{
	/* one thread answers every request in turn: status enters netns per thread, and a scrape
	 * every few seconds needs no more */
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
						on_request, (void *)pin_dir,
						MHD_OPTION_LISTEN_SOCKET, fd,
						MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_END);
	sigset_t set;
	int sig;

	if (!d) {
		snprintf(err, errlen, "--listen: libmicrohttpd did not start on the socket");
		return -EIO;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}

#endif /* TSN_NO_HTTP */
