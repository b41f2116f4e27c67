/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The modctl page: a mirror of modctld's module objects kept current by its signals (one
 * GetManagedObjects, then InterfacesAdded/Removed and PropertiesChanged; no polling), the
 * catalog search, load/unload with the policy verdict shown first, the persistent settings,
 * and a live event log. Every call goes to org.modctl1 on the system bus as the logged-in
 * user: polkit decides, not Cockpit's administrative mode. */
"use strict";

(function () {
    const _ = cockpit.gettext;
    const BUS_NAME = "org.modctl1";
    const PATH = "/org/modctl1";
    const MANAGER = "org.modctl1.Manager";
    const MODULE = "org.modctl1.Module";
    const MODULE_PREFIX = "/org/modctl1/module/";

    const client = cockpit.dbus(BUS_NAME, { bus: "system" });
    const modules = new Map();          /* object path -> properties (plain values) */
    let lastSearch = null;

    function $(id) { return document.getElementById(id); }

    function el(tag, attrs, ...children) {
        const e = document.createElement(tag);
        for (const [k, v] of Object.entries(attrs || {})) {
            if (k === "class")
                e.className = v;
            else if (k.startsWith("on"))
                e.addEventListener(k.slice(2), v);
            else if (v !== undefined && v !== null && v !== false)
                e.setAttribute(k, v === true ? "" : v);
        }
        for (const c of children.flat())
            if (c !== null && c !== undefined)
                e.append(c instanceof Node ? c : document.createTextNode(String(c)));
        return e;
    }

    function unwrap(props) {
        const out = {};
        for (const [k, v] of Object.entries(props || {}))
            out[k] = (v && typeof v === "object" && "v" in v) ? v.v : v;
        return out;
    }

    function label(color, setting, text) {
        return el("span", { class: "pf-c-label pf-m-compact" + (color ? " pf-m-" + color : ""), "data-setting": setting },
                  el("span", { class: "pf-c-label__content" }, text));
    }

    function formatSize(bytes) {
        return cockpit.format_bytes ? cockpit.format_bytes(bytes, 1024) : String(bytes);
    }

    /* ---- alerts: the daemon's own sentence ---- */

    function showError(ex, context) {
        const title = context ? cockpit.format(_("$0 failed"), context) : _("Error");
        const message = (ex && ex.message) ? ex.message : String(ex);
        const alert = el("div", { class: "pf-c-alert pf-m-danger pf-m-inline", role: "alert", "data-error": ex && ex.name },
            el("p", { class: "pf-c-alert__title" }, title),
            el("div", { class: "pf-c-alert__description" }, message),
            el("div", { class: "pf-c-alert__action" },
                el("button", { class: "pf-c-button pf-m-plain", "aria-label": _("Close"),
                               onclick: () => alert.remove() }, "×")));
        $("alerts").prepend(alert);
        logEvent("error", (ex && ex.name ? ex.name + ": " : "") + message);
    }

    function call(method, signature, args) {
        return client.call(PATH, MANAGER, method, args, { type: signature });
    }

    /* ---- the event log ---- */

    function logEvent(kind, text) {
        const time = new Date().toLocaleTimeString();
        const list = $("events");
        list.prepend(el("li", { "data-kind": kind }, time + "  " + text));
        while (list.children.length > 200)
            list.lastChild.remove();
    }

    /* ---- the loaded modules ---- */

    function settingLabels(p) {
        const labels = [];
        if (p.BootLoad)
            labels.push(label("blue", "boot", _("boot")));
        if (p.Blacklisted)
            labels.push(label("orange", "blacklist", _("blacklisted")));
        if (p.Disabled)
            labels.push(label("red", "disable", _("disabled")));
        if (p.Options)
            labels.push(label(null, "options", p.Options));
        return labels;
    }

    function renderLoaded() {
        const body = $("loaded-body");
        const rows = [...modules.values()].sort((a, b) => a.Name.localeCompare(b.Name));
        body.replaceChildren(...rows.map(p => {
            const users = (p.Holders || []).join(", ");
            const refs = p.RefCount < 0 ? _("permanent") : String(p.RefCount);
            return el("tr", { "data-module": p.Name },
                el("td", { "data-label": _("Name") }, el("strong", {}, p.Name),
                   p.Description ? el("div", { class: "modctl-muted" }, p.Description) : null),
                el("td", { "data-label": _("State") }, p.State),
                el("td", { "data-label": _("Size") }, formatSize(p.Size)),
                el("td", { "data-label": _("Used by") }, users ? refs + " (" + users + ")" : refs),
                el("td", { "data-label": _("Origin"), class: "modctl-origin" }, p.Origin || "—"),
                el("td", { "data-label": _("Taint"), class: "modctl-taint" }, p.Taint || ""),
                el("td", { "data-label": _("Settings") }, settingLabels(p)),
                el("td", { class: "pf-c-table__action" },
                   el("button", { class: "pf-c-button pf-m-secondary pf-m-small", "data-action": "settings",
                                  onclick: () => openSettings(p.Name) }, _("Settings")), " ",
                   el("button", { class: "pf-c-button pf-m-secondary pf-m-danger pf-m-small", "data-action": "unload",
                                  onclick: () => unload(p.Name) }, _("Unload"))));
        }));
        $("loaded-count").textContent = String(rows.length);
    }

    function moduleAdded(path, props) {
        if (!path.startsWith(MODULE_PREFIX) || !props)
            return;
        modules.set(path, unwrap(props));
        renderLoaded();
    }

    function fetchModule(path) {
        /* InterfacesAdded from sd-bus carries the properties; a Get fills a gap if it did not. */
        client.call(path, "org.freedesktop.DBus.Properties", "GetAll", [MODULE], { type: "s" })
                .then(([props]) => moduleAdded(path, props))
                .catch(() => {}); /* gone again meanwhile */
    }

    function subscribe() {
        client.subscribe({ interface: "org.freedesktop.DBus.ObjectManager", member: "InterfacesAdded" },
                         (path, iface, signal, [object, ifaces]) => {
                             if (!ifaces[MODULE])
                                 return;
                             if (Object.keys(ifaces[MODULE]).length)
                                 moduleAdded(object, ifaces[MODULE]);
                             /* Options is per caller, so signals leave it out: ask for it. */
                             if (!Object.keys(ifaces[MODULE]).length || !("Options" in ifaces[MODULE]))
                                 fetchModule(object);
                         });
        client.subscribe({ interface: "org.freedesktop.DBus.ObjectManager", member: "InterfacesRemoved" },
                         (path, iface, signal, [object]) => {
                             if (modules.delete(object))
                                 renderLoaded();
                         });
        client.subscribe({ interface: "org.freedesktop.DBus.Properties", member: "PropertiesChanged",
                           path_namespace: "/org/modctl1/module" },
                         (path, iface, signal, [ifaceName, changed, invalidated]) => {
                             const p = modules.get(path);
                             if (!p || ifaceName !== MODULE)
                                 return;
                             Object.assign(p, unwrap(changed));
                             renderLoaded();
                             if (invalidated && invalidated.length)
                                 fetchModule(path);
                         });
        const manager = (member, f) => client.subscribe({ interface: MANAGER, path: PATH, member },
                                                        (path, iface, signal, args) => f(...args));
        manager("ModuleLoaded", (name, origin) => logEvent("loaded", cockpit.format(_("loaded $0 (origin $1)"), name, origin)));
        manager("ModuleUnloaded", (name, origin) => logEvent("unloaded", cockpit.format(_("unloaded $0 (origin $1)"), name, origin)));
        manager("ModuleLoadFailed", (name, origin, error, message) =>
            logEvent("failed", cockpit.format(_("failed $0 (origin $1): $2"), name, origin, message)));
        manager("PolicyWarning", (module, rule, reason) => logEvent("warning", cockpit.format(_("policy warning $0 ($1): $2"), module, rule, reason)));
        manager("SettingChanged", (module, setting, value, file) => {
            logEvent("setting", cockpit.format(_("setting $0 of $1 = $2 ($3)"), setting, module, value, file));
            if (lastSearch !== null)
                search(lastSearch);
        });
        manager("ConfigReloaded", (result, message) => logEvent("config", cockpit.format(_("configuration $0 $1"), result, message)));
        manager("AutoloadFinished", (batch, requested, inserted, failed) =>
            logEvent("autoload", cockpit.format(_("$0 done: $1 requested, $2 inserted, $3 failed"), batch, requested, inserted, failed)));
    }

    function loadAll() {
        return client.call(PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", [])
                .then(([objects]) => {
                    modules.clear();
                    for (const [path, ifaces] of Object.entries(objects))
                        if (ifaces[MODULE])
                            modules.set(path, unwrap(ifaces[MODULE]));
                    renderLoaded();
                });
    }

    /* ---- the catalog ---- */

    function search(text) {
        lastSearch = text;
        return call("Search", "s", [text]).then(([hits]) => {
            const body = $("catalog-body");
            body.replaceChildren(...hits.slice(0, 200).map(([name, description, license, signer, loaded, boot,
                blacklisted, disabled, options]) =>
                el("tr", { "data-module": name },
                   el("td", { "data-label": _("Name") }, el("strong", {}, name),
                      loaded ? [" ", label("green", "loaded", _("loaded"))] : null),
                   el("td", { "data-label": _("Description") }, description),
                   el("td", { "data-label": _("License") }, license),
                   el("td", { "data-label": _("Settings") },
                      settingLabels({ BootLoad: boot, Blacklisted: blacklisted, Disabled: disabled, Options: options })),
                   el("td", { class: "pf-c-table__action" },
                      el("button", { class: "pf-c-button pf-m-secondary pf-m-small", "data-action": "settings",
                                     onclick: () => openSettings(name) }, _("Settings")), " ",
                      loaded ? null
                          : el("button", { class: "pf-c-button pf-m-primary pf-m-small", "data-action": "load",
                                           onclick: () => confirmLoad(name) }, _("Load"))))));
            if (hits.length > 200)
                body.append(el("tr", {}, el("td", { colspan: 5, class: "modctl-muted" },
                                            cockpit.format(_("$0 more; refine the search"), hits.length - 200))));
            if (hits.length === 0)
                body.append(el("tr", {}, el("td", { colspan: 5, class: "modctl-muted" }, _("No module matches."))));
        }).catch(ex => showError(ex, _("Search")));
    }

    /* ---- the dialog ---- */

    let settingsOf = null;  /* the module whose settings the dialog shows, or null */

    function openDialog(title, body, buttons) {
        settingsOf = null;
        $("dialog-title").textContent = title;
        $("dialog-body").replaceChildren(...body);
        $("dialog-footer").replaceChildren(...buttons);
        $("dialog").hidden = false;
    }

    function closeDialog() {
        settingsOf = null;
        $("dialog").hidden = true;
    }

    /* A settings call in flight: the dialog says so (data-busy) until the call returns, and its
     * new state is shown only if the user has not closed the dialog or opened another meanwhile. */
    function settingCall(name, method, signature, args) {
        $("dialog").setAttribute("data-busy", "1");
        return call(method, signature, args)
                .then(() => { if (settingsOf === name) return openSettings(name) })
                .finally(() => $("dialog").removeAttribute("data-busy"));
    }

    function dialogError(ex) {
        $("dialog-body").prepend(el("div", { class: "pf-c-alert pf-m-danger pf-m-inline", role: "alert", "data-error": ex.name },
                                    el("p", { class: "pf-c-alert__title" }, ex.message)));
    }

    /* Load: first the plan and the policy's verdict per module, then the user confirms. */
    function confirmLoad(name) {
        call("CheckPolicy", "sst", [name, "", 0]).then(([plan, verdicts]) => {
            const denied = verdicts.some(v => v[1] === "deny");
            const rows = verdicts.map(([module, verdict, rule, reason, taint]) =>
                el("tr", { "data-module": module },
                   el("td", {}, module),
                   el("td", { class: "modctl-verdict-" + verdict, "data-verdict": verdict }, verdict),
                   el("td", { class: "modctl-taint" }, taint || "—"),
                   el("td", {}, rule ? rule + ": " + reason : "")));
            const params = el("input", { class: "pf-c-form-control", id: "load-params", placeholder: "PARAM=VALUE" });
            openDialog(cockpit.format(_("Load $0"), name), [
                el("p", {}, _("The policy's verdict for every module of the plan, and the taint it would set:")),
                el("table", { class: "pf-c-table pf-m-compact", id: "verdicts" },
                   el("thead", {}, el("tr", {}, el("th", {}, _("Module")), el("th", {}, _("Verdict")),
                                      el("th", {}, _("Predicted taint")), el("th", {}, _("Reason")))),
                   el("tbody", {}, rows)),
                el("div", { class: "modctl-plan" }, plan.join("\n")),
                el("label", { for: "load-params" }, _("Parameters")), params
            ], [
                el("button", { class: "pf-c-button pf-m-primary", id: "confirm-load", disabled: denied,
                               onclick: () => {
                                   call("Load", "sst", [name, params.value, 0])
                                           .then(() => { closeDialog(); if (lastSearch !== null) search(lastSearch) })
                                           .catch(dialogError);
                               } }, _("Load")),
                el("button", { class: "pf-c-button pf-m-link", onclick: closeDialog }, _("Cancel"))
            ]);
            if (denied)
                dialogError({ name: "org.modctl1.Error.PolicyDenied",
                              message: verdicts.filter(v => v[1] === "deny").map(v => v[3]).join(" ") });
        }).catch(ex => showError(ex, cockpit.format(_("Load $0"), name)));
    }

    function unload(name) {
        call("Unload", "st", [name, 0])
                .then(() => { if (lastSearch !== null) search(lastSearch) })
                .catch(ex => showError(ex, cockpit.format(_("Unload $0"), name)));
    }

    /* Settings: each toggle is one call; a setting an admin's file decides is shown, not changeable. */
    function openSettings(name) {
        return call("GetModuleSettings", "s", [name]).then(([boot, blacklisted, disabled, options, sources]) => {
            const foreign = kind => sources.filter(s => s[0] === kind && !s[3]);
            const toggle = (kind, label, checked, method) => {
                const id = "setting-" + kind;
                const elsewhere = foreign(kind);
                const input = el("input", { class: "pf-c-switch__input", type: "checkbox", id, checked,
                                            disabled: checked && elsewhere.length > 0 });
                input.addEventListener("change", () => {
                    settingCall(name, method, "sbt", [name, input.checked, 0])
                            .catch(ex => { input.checked = !input.checked; dialogError(ex) });
                });
                return el("div", { class: "modctl-setting" },
                          el("label", { class: "pf-c-switch", for: id }, input,
                             el("span", { class: "pf-c-switch__toggle" }),
                             el("span", { class: "pf-c-switch__label" }, label)),
                          elsewhere.length ? el("small", { "data-elsewhere": kind },
                                                cockpit.format(_("set in $0, not managed by modctl"),
                                                               elsewhere.map(s => s[2] + " (" + s[1] + ")").join(", ")))
                              : null);
            };
            const ours = sources.filter(s => s[0] === "options" && s[3]).map(s => s[1]).join(" ");
            const input = el("input", { class: "pf-c-form-control", id: "options-input", value: ours,
                                        placeholder: "PARAM=VALUE ..." });
            const theirs = foreign("options");
            openDialog(cockpit.format(_("Settings of $0"), name), [
                toggle("boot", _("Load at boot"), boot, "SetBootLoad"),
                toggle("blacklist", _("Blacklisted (not loaded for devices)"), blacklisted, "SetBlacklisted"),
                toggle("disable", _("Disabled (never loaded)"), disabled, "SetDisabled"),
                el("label", { for: "options-input" }, _("Options")),
                el("div", { class: "pf-c-input-group" }, input,
                   el("button", { class: "pf-c-button pf-m-control", id: "options-save",
                                  onclick: () => settingCall(name, "SetOptions", "sst", [name, input.value.trim(), 0])
                                          .catch(dialogError) }, _("Save"))),
                theirs.length ? el("small", { "data-elsewhere": "options" },
                                   cockpit.format(_("also set in $0, not managed by modctl"),
                                                  theirs.map(s => s[2] + " (" + s[1] + ")").join(", "))) : null
            ], [
                el("button", { class: "pf-c-button pf-m-primary", id: "settings-close", onclick: closeDialog }, _("Close"))
            ]);
            settingsOf = name;
        }).catch(ex => showError(ex, cockpit.format(_("Settings of $0"), name)));
    }

    function init() {
        cockpit.translate();
        $("search-input").setAttribute("placeholder", _("Name or description"));
        $("search-form").addEventListener("submit", ev => { ev.preventDefault(); search($("search-input").value) });
        subscribe();
        loadAll().then(() => {
            document.body.setAttribute("data-ready", "1");
            return Promise.all([client.call(PATH, "org.freedesktop.DBus.Properties", "GetAll", [MANAGER], { type: "s" })]);
        }).then(([[props]]) => {
            const p = unwrap(props);
            $("daemon-info").textContent = cockpit.format(_("modctld $0, kernel $1, policy $2"),
                                                          p.Version, p.KernelRelease, p.PolicyMode);
        }).catch(ex => showError(ex, _("Connecting to modctld")));
        client.addEventListener("close", (ev, options) =>
            showError({ name: options.problem, message: _("The connection to modctld was closed: ") + (options.problem || "") }));
    }

    document.addEventListener("DOMContentLoaded", init);
})();
