/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <inttypes.h>
#include <string.h>

#include "bus/bus-auth.h"
#include "bus/bus-caller.h"
#include "bus/bus-context.h"
#include "bus/bus-error.h"
#include "bus/bus-quota.h"
#include "bus/bus-settings.h"
#include "bus/bus-string.h"
#include "settings/catalog.h"
#include "common/log.h"
#include "engine/manager.h"
#include "engine/search.h"
#include "modctl-bus.h"
#include "common/module-params.h"
#include "common/strv.h"
#include "common/time-util.h"

static const char *const setting_verbs[_SETTING_MAX] = {
        [SETTING_BOOT]      = "change whether module '%s' loads at boot",
        [SETTING_BLACKLIST] = "change whether module '%s' is blacklisted",
        [SETTING_DISABLE]   = "change whether module '%s' is disabled",
        [SETTING_OPTIONS]   = "change the options of module '%s'",
};

/* Parse, validate, authorize, act, reply: the same for the four setters. */
static int set_setting(sd_bus_message *message, BusContext *b, SettingKind kind, sd_bus_error *error) {
        Manager *m = b->manager;
        _cleanup_(failure_donep) Failure failure = FAILURE_NULL;
        _cleanup_free_ char *what = NULL;
        const char *name, *options = NULL;
        int on = 0;
        uint64_t flags;
        int r;

        if (kind == SETTING_OPTIONS)
                r = sd_bus_message_read(message, "sst", &name, &options, &flags);
        else
                r = sd_bus_message_read(message, "sbt", &name, &on, &flags);
        if (r < 0)
                return r;

        if (!settings_name_is_valid(name))
                return bus_error_setf(error, FAILURE_INVALID_NAME, "Invalid module name '%.60s': settings take a "
                                      "module name of letters, digits, '_' and '-' (at most 55 bytes).", name);
        if (flags & ~MODCTL_SETTING_FLAGS_ALL)
                return bus_error_setf(error, FAILURE_INVALID_ARGUMENT,
                                      "Unknown flags 0x%" PRIx64 " for the settings of module '%s'.",
                                      flags & ~MODCTL_SETTING_FLAGS_ALL, name);
        if (options) {
                _cleanup_free_ char *invalid = NULL;

                r = module_params_check(name, options, &invalid);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return bus_error_setf(error, FAILURE_INVALID_PARAMETERS, "%s", invalid);
        }

        if (asprintf(&what, setting_verbs[kind], name) < 0)
                return -ENOMEM;
        r = bus_verify_polkit_async(b, message, POLKIT_ACTION_CONFIGURE,
                                    STRV_MAKE("module", name, "setting", setting_kind_to_string(kind),
                                              "value", options ?: (on ? "yes" : "no")),
                                    what, error);
        if (r <= 0)
                return r == 0 ? 1 : r; /* 0: polkit is asked, the call comes back */

        Requester who;
        bus_requester_from_message(message, &who);
        r = settings_service_change(manager_settings(m), kind, name, on, options, flags & MODCTL_SETTING_RUNTIME,
                                    &who, &failure);
        if (r < 0)
                return bus_error_from_failure(error, &failure);
        return sd_bus_reply_method_return(message, NULL);
}

static int method_set_boot_load(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return set_setting(message, userdata, SETTING_BOOT, error);
}

static int method_set_blacklisted(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return set_setting(message, userdata, SETTING_BLACKLIST, error);
}

static int method_set_disabled(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return set_setting(message, userdata, SETTING_DISABLE, error);
}

static int method_set_options(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return set_setting(message, userdata, SETTING_OPTIONS, error);
}

static int method_get_module_settings(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(failure_donep) Failure failure = FAILURE_NULL;
        _cleanup_(bus_caller_done) BusCaller caller = {};
        BusContext *b = userdata;
        ModuleSettings ms = {};
        SettingSource *sources = NULL;
        size_t n = 0;
        const char *name;
        int r;

        r = sd_bus_message_read(message, "s", &name);
        if (r < 0)
                return r;
        if (!settings_name_is_valid(name))
                return bus_error_setf(error, FAILURE_INVALID_NAME, "Invalid module name '%.60s': settings take a "
                                      "module name of letters, digits, '_' and '-' (at most 55 bytes).", name);
        bus_caller_from_message(message, &caller);
        r = settings_service_describe(manager_settings(b->manager), name, &caller.caller, &ms, &sources, &n,
                                      &failure);
        if (r < 0)
                return bus_error_from_failure(error, &failure);

        r = sd_bus_message_new_method_return(message, &reply);
        if (r >= 0)
                r = bus_append(reply, "bbbs", ms.boot, ms.blacklisted, ms.disabled, ms.options);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sssb)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = bus_append(reply, "(sssb)", setting_kind_to_string(sources[i].kind), sources[i].value,
                               sources[i].file, sources[i].owned);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        module_settings_done(&ms);
        setting_sources_free(sources, n);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                return bus_error_setf(error, FAILURE_INTERNAL, "Cannot build the settings reply for module '%s': %s.",
                                      name, strerror(-r));
        return r;
}

/* One hit as Search returns it: (name, description, license, signer, loaded, boot, blacklisted,
 * disabled, options, aliases). */
/* The catalog's strings are valid UTF-8 (catalog.h), and a whole-catalog reply carries megabytes
 * of them: they are copied in without the checks bus_append() makes. */
static int append_catalog_string(sd_bus_message *reply, const char *s) {
        return bus_append_valid_string(reply, s, strlen(s));
}

static int append_hit(sd_bus_message *reply, const SearchHit *h) {
        const CatalogEntry *en = h->entry;
        int r;

        r = sd_bus_message_open_container(reply, 'r', "ssssbbbbsas");
        if (r >= 0)
                r = append_catalog_string(reply, en->name);
        if (r >= 0)
                r = append_catalog_string(reply, en->description);
        if (r >= 0)
                r = append_catalog_string(reply, en->license);
        if (r >= 0)
                r = append_catalog_string(reply, en->signer);
        if (r >= 0)
                r = bus_append(reply, "bbbbs", h->loaded, h->settings.boot, h->settings.blacklisted,
                               h->settings.disabled, strempty(h->settings.options));
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "s");
        /* Space-separated in the catalog: each alias is copied straight from there. */
        for (const char *a = en->aliases; r >= 0 && *a; ) {
                size_t k = strcspn(a, " ");
                r = bus_append_valid_string(reply, a, k);
                a += k;
                while (*a == ' ')
                        a++;
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

/* One row as SearchPage returns it: what a list view shows (name, description, loaded, boot,
 * blacklisted, disabled). */
static int append_page_row(sd_bus_message *reply, const SearchHit *h) {
        int r;

        r = sd_bus_message_open_container(reply, 'r', "ssbbbb");
        if (r >= 0)
                r = append_catalog_string(reply, h->entry->name);
        if (r >= 0)
                r = append_catalog_string(reply, h->entry->description);
        if (r >= 0)
                r = bus_append(reply, "bbbb", h->loaded, h->settings.boot, h->settings.blacklisted,
                               h->settings.disabled);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

typedef struct SearchCall {
        BusContext *context;
        sd_bus_message *message;
        sd_bus_creds *creds;    /* the sender's, asked for once in search_common() */
        bool paged;             /* SearchPage(text, offset, limit), else Search(text) */
} SearchCall;

static SearchCall *search_call_free(SearchCall *call) {
        if (!call)
                return NULL;
        sd_bus_message_unref(call->message);
        sd_bus_creds_unref(call->creds);
        free(call);
        return NULL;
}
static inline void search_call_freep(SearchCall **call) { search_call_free(*call); }

/* Replies to a Search call once the catalog is there. */
static void search_reply(const Catalog *c, int error, void *userdata) {
        _cleanup_(search_call_freep) SearchCall *call = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_message *message = call->message;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(failure_donep) Failure failure = FAILURE_NULL;
        _cleanup_(bus_caller_done) BusCaller caller = {};
        Manager *m = call->context->manager;
        usec_t start = now_usec(CLOCK_MONOTONIC);
        SearchHit *hits = NULL;
        size_t n_hits = 0, total = 0;
        const char *text = NULL;
        uint32_t offset = 0, limit = UINT32_MAX;
        int r;

        r = sd_bus_message_rewind(message, true);
        if (r >= 0)
                r = call->paged ? sd_bus_message_read(message, "suu", &text, &offset, &limit)
                                : sd_bus_message_read(message, "s", &text);
        if (r >= 0 && !c)
                r = failure_set(&failure, FAILURE_INTERNAL, "Cannot read the module catalog: %s.", strerror(-error));
        if (r >= 0) {
                /* SearchPage's rows carry no options: whose files the caller may read does
                 * not matter there. */
                if (!call->paged)
                        bus_caller_from_creds(call->creds, &caller);
                r = search_modules_page(c, text, offset, call->paged ? limit : SIZE_MAX, manager_modules(m),
                                        manager_settings(m), &caller.caller, &hits, &n_hits, &total, &failure);
        }
        if (r >= 0 && total > UINT32_MAX)
                r = failure_set(&failure, FAILURE_INTERNAL, "Too many modules match '%s' to count (%zu).", text,
                                total);
        if (r < 0) {
                if (failure.message)
                        bus_error_from_failure(&e, &failure);
                else
                        (void) bus_error_setf(&e, FAILURE_INTERNAL, "Cannot search the module catalog: %s.",
                                              strerror(-r));
                bus_reply_error_or_fail(message, &e, "the Search error reply");
                return;
        }

        r = sd_bus_message_new_method_return(message, &reply);
        if (r >= 0 && call->paged)
                r = bus_append(reply, "u", (uint32_t) total);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', call->paged ? "(ssbbbb)" : "(ssssbbbbsas)");
        for (size_t i = 0; r >= 0 && i < n_hits; i++)
                r = call->paged ? append_page_row(reply, &hits[i]) : append_hit(reply, &hits[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        search_hits_free(hits, n_hits);
        if (r < 0) {
                (void) bus_error_setf(&e, FAILURE_INTERNAL, "Cannot build the Search reply for '%s': %s.", text,
                                      strerror(-r));
                bus_reply_error_or_fail(message, &e, "the Search error reply");
                return;
        }
        bus_reply_or_fail(message, reply, r, "the Search reply");
        log_debug("%s '%s': %zu of %zu matches (%zu modules) in %llu us.", call->paged ? "SearchPage" : "Search",
                  text, n_hits, total, catalog_size(c), (unsigned long long) (now_usec(CLOCK_MONOTONIC) - start));
}

/* Search is open to everyone and answers with up to the whole catalog, built on the event loop:
 * each uid may start SEARCH_BURST at once, then SEARCH_PER_SEC a second (bus-quota.h). That is
 * more than a person typing into a settings panel asks for; root is not counted. */
#define SEARCH_BURST   16u
#define SEARCH_PER_SEC 8u

/* Search and SearchPage: the same checks and quota; search_reply() reads the arguments again. */
static int search_common(sd_bus_message *message, BusContext *b, bool paged, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        Manager *m = b->manager;
        const char *text;
        uint32_t offset, limit;
        uid_t euid;
        int r;

        r = paged ? sd_bus_message_read(message, "suu", &text, &offset, &limit) : sd_bus_message_read(message, "s", &text);
        if (r < 0)
                return r;
        if (strlen(text) > 256)
                return bus_error_setf(error, FAILURE_INVALID_ARGUMENT, "Search text too long (%zu bytes, at most 256).",
                                      strlen(text));

        r = bus_check_memory(manager_memory(m), "search the modules", error);
        if (r < 0)
                return r;

        /* One round trip to the bus for the quota's uid and, for Search, the reply's caller. */
        r = sd_bus_query_sender_creds(message, paged ? SD_BUS_CREDS_EUID : BUS_CALLER_CREDS, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &euid);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Permission denied: cannot determine who asked to search the "
                                         "modules: %s.", strerror(-r));
        if (euid != 0 &&
            !bus_quota_take(&b->search_quota, euid, SEARCH_BURST, SEARCH_PER_SEC, now_usec(CLOCK_MONOTONIC)))
                return bus_error_setf(error, FAILURE_BUSY,
                                      "Too many searches from uid %u (at most %u at once, then %u a "
                                      "second per user); '%.40s' was not searched for. Try again later.",
                                      (unsigned) euid, SEARCH_BURST, SEARCH_PER_SEC, text);

        SearchCall *call = calloc(1, sizeof(SearchCall));
        if (!call)
                return -ENOMEM;
        *call = (SearchCall) { b, sd_bus_message_ref(message), sd_bus_creds_ref(creds), paged };
        r = catalog_service_get(manager_catalog(m), search_reply, call);
        if (r < 0) {
                search_call_free(call);
                return bus_error_setf(error, FAILURE_INTERNAL, "Cannot build the module catalog: %s.", strerror(-r));
        }
        return 1;
}

static int method_search(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return search_common(message, userdata, false, error);
}

/* A page of Search's matches in the same order, each row only what a list view shows; total
 * counts all matches, so a view can size its pager. An offset past the end or a limit of 0 is
 * an empty page, not an error. */
static int method_search_page(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return search_common(message, userdata, true, error);
}

static const sd_bus_vtable settings_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("SetBootLoad",
                                SD_BUS_ARGS("s", name, "b", enable, "t", flags),
                                SD_BUS_NO_RESULT,
                                method_set_boot_load, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetBlacklisted",
                                SD_BUS_ARGS("s", name, "b", blacklisted, "t", flags),
                                SD_BUS_NO_RESULT,
                                method_set_blacklisted, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetDisabled",
                                SD_BUS_ARGS("s", name, "b", disabled, "t", flags),
                                SD_BUS_NO_RESULT,
                                method_set_disabled, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetOptions",
                                SD_BUS_ARGS("s", name, "s", options, "t", flags),
                                SD_BUS_NO_RESULT,
                                method_set_options, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetModuleSettings",
                                SD_BUS_ARGS("s", name),
                                SD_BUS_RESULT("b", boot, "b", blacklisted, "b", disabled, "s", options,
                                              "a(sssb)", sources),
                                method_get_module_settings, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Search",
                                SD_BUS_ARGS("s", text),
                                SD_BUS_RESULT("a(ssssbbbbsas)", modules),
                                method_search, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SearchPage",
                                SD_BUS_ARGS("s", text, "u", offset, "u", limit),
                                SD_BUS_RESULT("u", total, "a(ssbbbb)", modules),
                                method_search_page, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

const BusObjectImplementation bus_settings_object = {
        .path = MODCTL_BUS_PATH,
        .interface = MODCTL_BUS_INTERFACE,
        .vtable = settings_vtable,
};
