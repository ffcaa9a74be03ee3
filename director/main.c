// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvs-director: load and check the config, set up the ruleset and the
 * queue workers, then wait for signals while the workers schedule.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "config.h"
#include "director.h"
#include "log.h"
#include "notify.h"
#include "validate.h"

#define DEFAULT_CONFIG	"/etc/nflvs/nflvs.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nflvs-director [-f FILE] [-t] [-k] [-v]...\n"
		"  -f FILE  configuration file (default " DEFAULT_CONFIG ")\n"
		"  -t       check the configuration and exit (0 valid, 1 invalid)\n"
		"  -k       at stop, keep the ruleset, DR routes and flows for the\n"
		"           next start (established DR connections go on)\n"
		"  -v       more logging (repeat for debug)\n"
		"  -h       this help\n");
}

/* Load, validate, and report every error as FILE:LINE: message. */
static int load_config(const char *path, struct nflvs_config *cfg)
{
	struct cfg_errors errs = { 0 };
	size_t i;
	int n;

	n = config_load(path, cfg, &errs);
	if (!n && validate_config(cfg, &errs) > 0) {
		n = errs.n;
		config_free(cfg);
	}
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	config_errors_free(&errs);
	return n ? -1 : 0;
}

static int signals_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	/* notify_up/notify_down children reap themselves */
	signal(SIGCHLD, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int tick_open(void)
{
	struct itimerspec it = {
		.it_interval = { 0, DIRECTOR_TICK_MS * 1000000L },
		.it_value = { 0, DIRECTOR_TICK_MS * 1000000L },
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd >= 0 && timerfd_settime(fd, 0, &it, NULL) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void reload(struct director *d)
{
	struct cfg_errors errs;
	size_t i;

	log_info("SIGHUP: reloading %s", director_config_path(d));
	if (director_reload(d, &errs) == 0)
		return;
	for (i = 0; i < errs.n; i++)
		log_err("%s", errs.msg[i]);
	log_err("reload failed: the running configuration is unchanged");
	config_errors_free(&errs);
}

/* Returns when SIGTERM or SIGINT arrives. */
static void run(struct director *d, int sfd, int tfd)
{
	struct pollfd p[2 + DIRECTOR_POLLFDS] = {
		{ .fd = sfd, .events = POLLIN },
		{ .fd = tfd, .events = POLLIN },
	};
	struct signalfd_siginfo si;
	uint64_t ticks;
	int n;

	for (;;) {
		n = director_pollfds(d, p + 2, DIRECTOR_POLLFDS);
		if (poll(p, 2 + n, -1) < 0 && errno != EINTR)
			return;
		director_events(d, p + 2, n);
		if (p[1].revents && read(tfd, &ticks, sizeof(ticks)) > 0)
			director_timer(d, ticks);
		if (!p[0].revents || read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGHUP) {
			reload(d);
			continue;
		}
		log_info("signal %d: stopping", si.ssi_signo);
		return;
	}
}

int main(int argc, char **argv)
{
	const char *path = DEFAULT_CONFIG;
	struct nflvs_config cfg;
	struct director *d;
	int opt, test = 0, keep = 0, verbose = 0, sfd, tfd, ret;

	/*
	 * The connection tables double and halve with the connections
	 * (otab.c): with glibc's moving threshold, freeing one large array
	 * raises the threshold past it, the next ones come from the heap, and
	 * what they free stays in the process.  A fixed threshold keeps every
	 * large array in a mapping of its own that goes back to the kernel
	 * when freed, and trimming returns the heap's free top: the size
	 * follows the connections there are, not the most there have been
	 * (the soak, tests/bench/soak.sh, measures it).
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 256 * 1024);

	while ((opt = getopt(argc, argv, "f:tkvh")) != -1) {
		switch (opt) {
		case 'f':
			path = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'k':
			keep = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (load_config(path, &cfg) < 0)
		return 1;
	if (test) {
		printf("%s: configuration OK\n", path);
		config_free(&cfg);
		return 0;
	}
	log_open("nflvs-director", cfg.director.syslog,
		 log_level_parse(cfg.director.log_level, verbose));
	sfd = signals_open();
	tfd = tick_open();
	if (sfd < 0 || tfd < 0) {
		log_err("signals and timers: %s", strerror(errno));
		config_free(&cfg);
		return 1;
	}
	log_info("starting: config %s", path);
	d = director_new(&cfg);
	if (!d)
		return 1;
	ret = director_start(d);
	if (!ret) {
		log_info("started");
		/* the ruleset is in the kernel, the control socket is up */
		ret = notify_send("READY=1");
		if (ret < 0)
			log_warn("NOTIFY_SOCKET: %s", strerror(-ret));
		ret = 0;
		run(d, sfd, tfd);
		notify_send("STOPPING=1");
	}
	/* -k only from a director that ran: a start that failed cleans up
	 * all the same */
	director_stop(d, !ret && keep);
	director_free(d);
	log_info("stopped");
	log_close();
	return ret ? 1 : 0;
}
