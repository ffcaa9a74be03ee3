// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvs-healthcheck: read the config, find the real servers in the
 * director's shared memory, check them, publish their health there.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "checker.h"
#include "config.h"
#include "log.h"
#include "notify.h"

#define DEFAULT_CONFIG	"/etc/nflvs/nflvs.conf"

struct sigwatch {
	struct watch w;
	struct checker *c;
	const char *path;
	int verbose;
	struct timer ready;	/* READY=1 once attached */
	bool ready_sent;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nflvs-healthcheck [-f FILE] [-t] [-v]...\n"
		"  -f FILE  configuration file (default " DEFAULT_CONFIG ")\n"
		"  -t       check the configuration and exit (0 valid, 1 invalid)\n"
		"  -v       more logging (repeat for debug)\n"
		"  -h       this help\n");
}

/*
 * Load and validate the whole file.  Errors (FILE:LINE: message) go to
 * stderr before the log is open, to the log after.
 */
static int load_config(const char *path, struct nflvs_config *cfg,
		       bool to_log)
{
	struct cfg_errors errs = { 0 };
	size_t i;
	int n;

	n = config_load(path, cfg, &errs);
	/* what the director would refuse (its -t and start-up do the same) */
	if (!n && config_check_room(cfg, &errs) > 0) {
		n = (int)errs.n;
		config_free(cfg);
	}
	for (i = 0; i < errs.n; i++) {
		if (to_log)
			log_err("%s", errs.msg[i]);
		else
			fprintf(stderr, "%s\n", errs.msg[i]);
	}
	config_errors_free(&errs);
	return n ? -1 : 0;
}

static void reload(struct sigwatch *s)
{
	struct nflvs_config cfg;

	if (s->ready_sent)
		notify_reloading();
	log_info("SIGHUP: reloading %s", s->path);
	if (load_config(s->path, &cfg, true) < 0) {
		log_err("reload failed: keeping the running configuration");
	} else {
		log_set_level(log_level_parse(cfg.director.log_level, s->verbose));
		checker_reload(s->c, &cfg);
		log_info("reloaded %s", s->path);
	}
	if (s->ready_sent)
		notify_send("READY=1");
}

/*
 * Ready for the service manager once attached to the director's segment:
 * the first round of checks is then scheduled.  Looked at as often as the
 * checker looks at the segment.
 */
static void ready_timer(struct timer *tm)
{
	struct sigwatch *s = container_of(tm, struct sigwatch, ready);
	int ret;

	if (!s->c->attached) {
		evloop_timer_set(&s->c->loop, tm, evloop_clock() +
				 CHECKER_SHM_TICK_MS * 1000000ull);
		return;
	}
	s->ready_sent = true;
	ret = notify_send("READY=1");
	if (ret < 0)
		log_warn("NOTIFY_SOCKET: %s", strerror(-ret));
}

static void signal_event(struct watch *w, uint32_t events)
{
	struct sigwatch *s = container_of(w, struct sigwatch, w);
	struct signalfd_siginfo si;

	(void)events;
	while (read(w->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(s);
			continue;
		}
		log_info("signal %u: stopping", si.ssi_signo);
		s->c->stop = true;
	}
}

static int signals_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	/* exec checks are reaped by us, never automatically */
	signal(SIGCHLD, SIG_DFL);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int main(int argc, char **argv)
{
	struct sigwatch sw = { .path = DEFAULT_CONFIG };
	struct nflvs_config cfg;
	struct checker c;
	int opt, test = 0, sfd, ret;

	while ((opt = getopt(argc, argv, "f:tvh")) != -1) {
		switch (opt) {
		case 'f':
			sw.path = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'v':
			sw.verbose++;
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
	if (load_config(sw.path, &cfg, false) < 0)
		return 1;
	if (test) {
		printf("%s: configuration OK\n", sw.path);
		config_free(&cfg);
		return 0;
	}
	log_open("nflvs-healthcheck", cfg.director.syslog,
		 log_level_parse(cfg.director.log_level, sw.verbose));
	sfd = signals_open();
	if (sfd < 0) {
		log_err("signals: %s", strerror(errno));
		config_free(&cfg);
		return 1;
	}
	log_info("starting: config %s", sw.path);
	ret = checker_init(&c, &cfg);
	if (ret) {
		log_err("setting up: %s", strerror(-ret));
		config_free(&cfg);
		return 1;
	}
	sw.c = &c;
	sw.w.fn = signal_event;
	if (evloop_watch_add(&c.loop, &sw.w, sfd, EPOLLIN) < 0) {
		log_err("signals: %s", strerror(errno));
		checker_free(&c);
		return 1;
	}
	sw.ready.fn = ready_timer;
	evloop_timer_set(&c.loop, &sw.ready, evloop_clock());
	log_info("started");
	ret = checker_run(&c) ? 1 : c.exit_code;
	notify_send("STOPPING=1");
	checker_free(&c);
	close(sfd);
	log_info("stopped");
	log_close();
	return ret;
}
