// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One line per event, to stderr (systemd's journal adds the timestamp) or to
 * syslog.  Safe to call from several threads: each line is one write.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static struct {
	const char *ident;
	bool syslog;
	int level;
} logcfg = { "nflvs", false, LOG_INFO };

/* The levels a config may name, from LOG_ERR on. */
const char *const log_level_names[] = {
	"error", "warning", "notice", "info", "debug", NULL
};

static const char *prio_name(int prio)
{
	static const char *const worse[] = { "emerg", "alert", "crit" };

	prio &= 7;
	return prio < LOG_ERR ? worse[prio] : log_level_names[prio - LOG_ERR];
}

int log_level_parse(const char *name, int verbose)
{
	int i, level = LOG_INFO;

	for (i = 0; name && log_level_names[i]; i++)
		if (!strcmp(name, log_level_names[i]))
			level = LOG_ERR + i;
	level += verbose;
	return level > LOG_DEBUG ? LOG_DEBUG : level;
}

void log_open(const char *ident, bool use_syslog, int level)
{
	logcfg.ident = ident;
	logcfg.syslog = use_syslog;
	logcfg.level = level;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(int level)
{
	logcfg.level = level;
}

int log_level(void)
{
	return logcfg.level;
}

void log_close(void)
{
	if (logcfg.syslog)
		closelog();
}

void log_msg(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n, m;

	if (prio > logcfg.level)
		return;
	va_start(ap, fmt);
	if (logcfg.syslog) {
		vsyslog(prio, fmt, ap);
		va_end(ap);
		return;
	}
	n = snprintf(line, sizeof(line), "%s[%d]: %s: ", logcfg.ident,
		     (int)getpid(), prio_name(prio));
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
}
