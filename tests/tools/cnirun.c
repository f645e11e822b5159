// SPDX-License-Identifier: GPL-2.0-only
/*
 * cnirun: call a CNI plugin the way a container runtime does, many times, and time each call.
 * A runtime is one long-lived process that spawns the plugin for every request (Go's os/exec:
 * clone(CLONE_VM | CLONE_VFORK) + execve), with the CNI_* environment, the network
 * configuration on stdin and the result read back from a pipe. So does this: it enters the
 * runtime's netns once (--netns), then reads requests from stdin, one per line,
 *
 *   VERB CONTAINERID NETNS IFNAME CONFFILE [CNI_ARGS]
 *
 * and prints one line per call: "VERB CONTAINERID RC WALL_US CPU_US", wall time from the spawn
 * to the plugin's exit with its output read, CPU time (user + sys) of the plugin from wait4().
 * A call that fails prints its output (the CNI error) on stderr and does not stop the rest;
 * the exit status is 1 if any call failed. PLUGIN may be any program: /bin/true is the floor.
 *
 *   cnirun [--netns PATH] [--cni-path DIR] PLUGIN < requests
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "netns.h"

#define USAGE "usage: cnirun [--netns PATH] [--cni-path DIR] PLUGIN < requests"
#define OUT_MAX 65536

struct request {
	char verb[16];
	char cid[128];
	char netns[256];
	char ifname[32];
	char conf[256];
	char args[512];	/* CNI_ARGS, "" for none */
};

static __u64 now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static __u64 tv_us(const struct timeval *tv)
{
	return (__u64)tv->tv_sec * 1000000 + tv->tv_usec;
}

/* One call; fills *rc (the exit status, or 128 + signal) and the times; < 0 if none ran. */
static int call(const char *plugin, const char *cni_path, const struct request *q, int *rc,
		__u64 *wall, __u64 *cpu)
{
	char e_cmd[64], e_cid[160], e_ns[288], e_if[64], e_path[288], e_args[528], out[OUT_MAX];
	char *env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", e_cmd, e_cid, e_ns, e_if, e_path,
			q->args[0] ? e_args : NULL, NULL };
	char *argv[] = { (char *)plugin, NULL };
	posix_spawn_file_actions_t fa;
	struct rusage ru;
	size_t len = 0;
	ssize_t n;
	int pipefd[2], status, e;
	__u64 t0;
	pid_t pid;

	snprintf(e_cmd, sizeof(e_cmd), "CNI_COMMAND=%s", q->verb);
	snprintf(e_cid, sizeof(e_cid), "CNI_CONTAINERID=%s", q->cid);
	snprintf(e_ns, sizeof(e_ns), "CNI_NETNS=%s", q->netns);
	snprintf(e_if, sizeof(e_if), "CNI_IFNAME=%s", q->ifname);
	snprintf(e_path, sizeof(e_path), "CNI_PATH=%s", cni_path);
	snprintf(e_args, sizeof(e_args), "CNI_ARGS=%s", q->args);
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, q->conf, O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	t0 = now_us();
	e = posix_spawn(&pid, plugin, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (e) {
		close(pipefd[0]);
		return -e;
	}
	while ((n = read(pipefd[0], out + len, sizeof(out) - 1 - len)) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0)
			len += n;
	close(pipefd[0]);
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return -errno;
	*wall = now_us() - t0;
	*cpu = tv_us(&ru.ru_utime) + tv_us(&ru.ru_stime);
	*rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (*rc) {
		out[len] = '\0';
		fprintf(stderr, "cnirun: %s %s exited %d: %s\n", q->verb, q->cid, *rc, out);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "cni-path", required_argument, NULL, 'p' },
		{},
	};
	const char *netns = NULL, *cni_path = "/opt/cni/bin";
	struct request q;
	char line[1024];
	int opt, fd, saved, rc, e, failed = 0;
	__u64 wall, cpu;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			netns = optarg;
			break;
		case 'p':
			cni_path = optarg;
			break;
		default:
			fprintf(stderr, "%s\n", USAGE);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s\n", USAGE);
		return 2;
	}
	if (netns) {
		fd = tsn_netns_open(netns);
		e = fd < 0 ? fd : tsn_netns_enter(fd, &saved);
		if (e) {
			fprintf(stderr, "cnirun: cannot enter netns %s: %s\n", netns, strerror(-e));
			return 1;
		}
		close(fd);
		if (saved >= 0)
			close(saved);
	}
	while (fgets(line, sizeof(line), stdin)) {
		q.args[0] = '\0';
		if (sscanf(line, "%15s %127s %255s %31s %255s %511s", q.verb, q.cid, q.netns,
			   q.ifname, q.conf, q.args) < 5) {
			fprintf(stderr, "cnirun: a request is VERB CONTAINERID NETNS IFNAME "
				"CONFFILE [CNI_ARGS]: %s", line);
			return 2;
		}
		e = call(argv[optind], cni_path, &q, &rc, &wall, &cpu);
		if (e) {
			fprintf(stderr, "cnirun: cannot run %s: %s\n", argv[optind], strerror(-e));
			return 1;
		}
		failed |= rc != 0;
		printf("%s %s %d %llu %llu\n", q.verb, q.cid, rc, wall, cpu);
		fflush(stdout);
	}
	return failed;
}
