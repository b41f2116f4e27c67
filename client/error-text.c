/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <string.h>

#include "error-text.h"
#include "i18n.h"
#include "macro.h"
#include "modctl-bus.h"

typedef struct ErrorText {
        const char *name;          /* the D-Bus error name */
        const char *with_name;     /* one %s: the module named in the daemon's sentence */
        const char *without_name;
} ErrorText;

static const ErrorText error_texts[] = {
        { MODCTL_ERROR_NOT_FOUND,          N_("Module '%s' not found."),        N_("Module not found.") },
        { MODCTL_ERROR_NOT_LOADED,         N_("Module '%s' is not loaded."),    N_("The module is not loaded.") },
        { MODCTL_ERROR_IN_USE,             N_("Module '%s' is in use."),        N_("The module is in use.") },
        { MODCTL_ERROR_INVALID_NAME,       N_("Invalid module name '%s'."),     N_("Invalid module name.") },
        { MODCTL_ERROR_INVALID_PARAMETERS, N_("Invalid parameters for module '%s'."),
                                           N_("Invalid module parameters.") },
        { MODCTL_ERROR_KERNEL_REJECTED,    N_("The kernel rejected module '%s'."),
                                           N_("The kernel rejected the module.") },
        { MODCTL_ERROR_BAD_MODULE,         N_("'%s' is not a valid kernel module."),
                                           N_("Not a valid kernel module.") },
        { MODCTL_ERROR_BUSY,               N_("modctld is busy and did not handle '%s'. Try again later."),
                                           N_("modctld is busy. Try again later.") },
        { MODCTL_ERROR_MEMORY_SHORT,       N_("modctld is short of memory and did not handle '%s'. Try again later."),
                                           N_("modctld is short of memory. Try again later.") },
        { SD_BUS_ERROR_ACCESS_DENIED,      N_("Not authorized to change module '%s'."),
                                           N_("Not authorized.") },
        { SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                           N_("Not authorized to change module '%s'."),
                                           N_("Not authorized.") },
};

/* The text between the first pair of single quotes after prefix (or anywhere, prefix NULL). */
static bool quoted_after(const char *s, const char *prefix, char *buf, size_t size) {
        const char *start, *end;

        if (prefix) {
                s = strstr(s, prefix);
                if (!s)
                        return false;
                s += strlen(prefix);
        }
        start = strchr(s, '\'');
        if (!start)
                return false;
        start++;
        end = strchr(start, '\'');
        if (!end || end == start || (size_t) (end - start) >= size)
                return false;
        memcpy(buf, start, end - start);
        buf[end - start] = '\0';
        return true;
}

/* "(rule NAME)" in the policy's sentence. */
static bool policy_rule(const char *s, char *buf, size_t size) {
        const char *start = strstr(s, "(rule "), *end;

        if (!start)
                return false;
        start += strlen("(rule ");
        end = strchr(start, ')');
        if (!end || end == start || (size_t) (end - start) >= size)
                return false;
        memcpy(buf, start, end - start);
        buf[end - start] = '\0';
        return true;
}

bool error_text_translate(const sd_bus_error *error, char *buf, size_t size) {
        char name[128], rule[64];
        const char *message, *fmt;

        if (!error || !error->name)
                return false;
        message = error->message ?: "";

        if (streq(error->name, MODCTL_ERROR_POLICY_DENIED)) {
                static const char with_rule[] = N_("Policy denies loading '%s' (rule %s).");

                if (!quoted_after(message, NULL, name, sizeof(name)) || !policy_rule(message, rule, sizeof(rule)))
                        return false;
                fmt = _(with_rule);
                if (fmt == with_rule)
                        return false;
                snprintf(buf, size, fmt, name, rule);
                return true;
        }

        for (size_t i = 0; i < ELEMENTSOF(error_texts); i++) {
                const ErrorText *t = error_texts + i;
                bool named;

                if (!streq(error->name, t->name))
                        continue;
                /* Parameters' sentences quote the parameter, not the module. */
                named = streq(t->name, MODCTL_ERROR_INVALID_PARAMETERS)
                                ? quoted_after(message, "module ", name, sizeof(name))
                                : quoted_after(message, NULL, name, sizeof(name));
                fmt = named ? _(t->with_name) : _(t->without_name);
                if (fmt == (named ? t->with_name : t->without_name))
                        return false;
                if (named)
                        snprintf(buf, size, fmt, name);
                else
                        snprintf(buf, size, "%s", fmt);
                return true;
        }
        return false;
}
