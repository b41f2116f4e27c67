/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The modctl page: a mirror of modctld's module objects kept current by its signals (one
 * GetManagedObjects, then InterfacesAdded/Removed and PropertiesChanged; no polling), the
 * catalog one page at a time (SearchPage), a module's details (Info), load/unload with the
 * policy verdict shown first, the persistent settings, and a live event log. Every call goes to
 * org.modctl1 on the system bus as the logged-in user: polkit decides, not Cockpit's
 * administrative mode. Styled with PatternFly 5 (patternfly.css, bundled at build time); every
 * string goes through cockpit.gettext, extracted into po/modctl.pot with the C strings. */
"use strict";

(function () {
    const _ = cockpit.gettext;
    const BUS_NAME = "org.modctl1";
    const PATH = "/org/modctl1";
    const MANAGER = "org.modctl1.Manager";
    const MODULE = "org.modctl1.Module";
    const MODULE_PREFIX = "/org/modctl1/module/";

    const client = cockpit.dbus(BUS_NAME, { bus: "system" });
    const PAGE_SIZE = 20;               /* catalog rows per page */

    const modules = new Map();          /* object path -> properties (plain values) */
    const catalog = { text: "", offset: 0, total: 0, shown: false };  /* the page on screen */

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

    const tr = (attrs, ...cells) => el("tr", Object.assign({ class: "pf-v5-c-table__tr" }, attrs), ...cells);
    const td = (attrs, ...children) =>
        el("td", Object.assign({}, attrs, { class: "pf-v5-c-table__td" + (attrs && attrs.class ? " " + attrs.class : "") }),
           ...children);
    const th = text => el("th", { class: "pf-v5-c-table__th" }, text);

    function button(kind, attrs, text) {
        return el("button", Object.assign({ type: "button", class: "pf-v5-c-button " + kind }, attrs), text);
    }

    function input(attrs) {
        return el("span", { class: "pf-v5-c-form-control" }, el("input", attrs));
    }

    function label(color, setting, text) {
        return el("span", { class: "pf-v5-c-label pf-m-compact" + (color ? " pf-m-" + color : ""), "data-setting": setting },
                  el("span", { class: "pf-v5-c-label__content" }, el("span", { class: "pf-v5-c-label__text" }, text)));
    }

    function alertBox(title, description, onclose, errorName) {
        const icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
        icon.setAttribute("class", "modctl-icon");
        icon.setAttribute("viewBox", "0 0 16 16");
        icon.setAttribute("aria-hidden", "true");
        const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
        path.setAttribute("d", "M8 1.5a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13M8 4.5v4.5M8 11.5v.01");
        icon.append(path);
        return el("div", { class: "pf-v5-c-alert pf-m-danger pf-m-inline", role: "alert", "data-error": errorName },
                  el("div", { class: "pf-v5-c-alert__icon" }, icon),
                  el("p", { class: "pf-v5-c-alert__title" }, title),
                  onclose ? el("div", { class: "pf-v5-c-alert__action" },
                               button("pf-m-plain", { "aria-label": _("Close"), onclick: onclose }, "×")) : null,
                  description ? el("div", { class: "pf-v5-c-alert__description" }, description) : null);
    }

    function formatSize(bytes) {
        return cockpit.format_bytes ? cockpit.format_bytes(bytes, 1024) : String(bytes);
    }

    /* ---- alerts: the daemon's own sentence ---- */

    function showError(ex, context) {
        const title = context ? cockpit.format(_("$0 failed"), context) : _("Error");
        const message = (ex && ex.message) ? ex.message : String(ex);
        const alert = alertBox(title, message, () => alert.remove(), ex && ex.name);
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
            labels.push(label("blue", "boot", _("module-label", "boot")));
        if (p.Blacklisted)
            labels.push(label("orange", "blacklist", _("module-label", "blacklisted")));
        if (p.Disabled)
            labels.push(label("red", "disable", _("module-label", "disabled")));
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
            return tr({ "data-module": p.Name },
                td({ "data-label": _("Name") }, el("strong", {}, p.Name),
                   p.Description ? el("div", { class: "modctl-muted" }, p.Description) : null),
                td({ "data-label": _("State") }, p.State),
                td({ "data-label": _("Size") }, formatSize(p.Size)),
                td({ "data-label": _("Used by") }, users ? refs + " (" + users + ")" : refs),
                td({ "data-label": _("Origin"), class: "modctl-origin" }, p.Origin || "—"),
                td({ "data-label": _("Taint"), class: "modctl-taint" }, p.Taint || ""),
                td({ "data-label": _("Settings") }, settingLabels(p)),
                td({ class: "pf-v5-c-table__action" },
                   el("div", { class: "modctl-actions" },
                      button("pf-m-secondary pf-m-small", { "data-action": "settings", onclick: () => openSettings(p.Name) },
                             _("Settings")),
                      button("pf-m-secondary pf-m-danger pf-m-small", { "data-action": "unload", onclick: () => unload(p.Name) },
                             _("Unload")))));
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
            refreshCatalog();
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

    /* One page of the catalog's matches (SearchPage): the page asks for PAGE_SIZE rows, never
     * for the whole catalog. The first view is the first page of "" (every module). A reply
     * that arrives after a newer request is dropped. */
    let catalogRequest = 0;

    function showPage(text, offset) {
        const request = ++catalogRequest;
        Object.assign(catalog, { wantText: text, wantOffset: offset });
        return call("SearchPage", "suu", [text, offset, PAGE_SIZE]).then(([total, rows]) => {
            if (request !== catalogRequest)
                return;
            if (offset > 0 && offset >= total)  /* the matches shrank under us: the last page */
                return showPage(text, Math.max(0, Math.floor((total - 1) / PAGE_SIZE) * PAGE_SIZE));
            Object.assign(catalog, { text, offset, total, shown: true });
            const body = $("catalog-body");
            body.replaceChildren(...rows.map(([name, description, loaded, boot, blacklisted, disabled]) =>
                tr({ "data-module": name },
                   td({ "data-label": _("Name") },
                      button("pf-m-link pf-m-inline modctl-link", { "data-action": "details", onclick: () => openDetails(name) },
                             name),
                      loaded ? [" ", label("green", "loaded", _("module-label", "loaded"))] : null),
                   td({ "data-label": _("Description") }, description),
                   td({ "data-label": _("Settings") },
                      settingLabels({ BootLoad: boot, Blacklisted: blacklisted, Disabled: disabled })),
                   td({ class: "pf-v5-c-table__action" },
                      el("div", { class: "modctl-actions" },
                         button("pf-m-secondary pf-m-small", { "data-action": "settings", onclick: () => openSettings(name) },
                                _("Settings")),
                         loaded ? null
                             : button("pf-m-primary pf-m-small", { "data-action": "load", onclick: () => confirmLoad(name) },
                                      _("Load")))))));
            if (total === 0)
                body.append(tr({}, td({ colspan: 4, class: "modctl-muted" }, _("No module matches."))));
            renderPagination();
            body.setAttribute("data-offset", String(offset));
            body.setAttribute("data-request", String(request));
        }).catch(ex => { if (request === catalogRequest) showError(ex, _("Search")) });
    }

    function renderPagination() {
        const { offset, total } = catalog;
        const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
        const page = Math.floor(offset / PAGE_SIZE) + 1;
        const pagination = $("catalog-pagination");
        pagination.hidden = false;
        pagination.setAttribute("data-total", String(total));
        $("page-range").textContent = total === 0 ? "0"
            : cockpit.format(_("$0 - $1"), offset + 1, Math.min(offset + PAGE_SIZE, total));
        $("page-of").textContent = cockpit.format(_("of $0"), total);
        $("page-number").value = String(page);
        $("page-number").max = String(pages);
        $("page-count").textContent = cockpit.format(_("of $0 pages"), pages);
        $("page-first").disabled = $("page-prev").disabled = page <= 1;
        $("page-next").disabled = $("page-last").disabled = page >= pages;
    }

    function goToPage(page) {
        const pages = Math.max(1, Math.ceil(catalog.total / PAGE_SIZE));
        page = Number.isFinite(page) ? Math.min(Math.max(1, Math.trunc(page)), pages) : pages;
        return showPage(catalog.text, (page - 1) * PAGE_SIZE);
    }

    /* After a load, an unload or a setting change: the same page again, or the one asked for
     * last if its answer is still on the way. */
    function refreshCatalog() {
        if (catalog.shown)
            showPage(catalog.wantText, catalog.wantOffset);
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
        $("dialog-body").prepend(alertBox(ex.message, null, null, ex.name));
    }

    /* A module's details: its modinfo fields (Info), which the catalog's rows leave out (license,
     * signer, parameters, dependencies), and the options modctl and the admin's files give it. */
    function openDetails(name) {
        return Promise.all([call("Info", "s", [name]), call("GetModuleSettings", "s", [name])])
                .then(([[fields], [, , , options]]) => {
                    const rows = fields.filter(([key]) => key !== "taint_prediction");
                    const taint = fields.find(([key]) => key === "taint_prediction");
                    const item = (key, value, attrs) =>
                        el("div", Object.assign({ class: "pf-v5-c-description-list__group" }, attrs),
                           el("dt", { class: "pf-v5-c-description-list__term" },
                              el("span", { class: "pf-v5-c-description-list__text" }, key)),
                           el("dd", { class: "pf-v5-c-description-list__description" },
                              el("div", { class: "pf-v5-c-description-list__text modctl-field-value" }, value)));
                    openDialog(cockpit.format(_("Module $0"), name), [
                        el("dl", { class: "pf-v5-c-description-list pf-m-horizontal pf-m-compact", id: "details" },
                           rows.map(([key, value]) => item(key, value, { "data-field": key })),
                           item(_("Options"), options || "—", { "data-field": "options" }),
                           item(_("Predicted taint"), (taint && taint[1]) || "—", { "data-field": "taint_prediction" }))
                    ], [
                        button("pf-m-primary", { id: "details-close", onclick: closeDialog }, _("Close"))
                    ]);
                }).catch(ex => showError(ex, cockpit.format(_("Details of $0"), name)));
    }

    /* Load: first the plan and the policy's verdict per module, then the user confirms. */
    function confirmLoad(name) {
        call("CheckPolicy", "sst", [name, "", 0]).then(([plan, verdicts]) => {
            const denied = verdicts.some(v => v[1] === "deny");
            const rows = verdicts.map(([module, verdict, rule, reason, taint]) =>
                tr({ "data-module": module },
                   td({}, module),
                   td({ class: "modctl-verdict-" + verdict, "data-verdict": verdict }, verdict),
                   td({ class: "modctl-taint" }, taint || "—"),
                   td({}, rule ? rule + ": " + reason : "")));
            const params = input({ id: "load-params", placeholder: "PARAM=VALUE" });
            openDialog(cockpit.format(_("Load $0"), name), [
                el("p", {}, _("The policy's verdict for every module of the plan, and the taint it would set:")),
                el("table", { class: "pf-v5-c-table pf-m-compact", id: "verdicts" },
                   el("thead", { class: "pf-v5-c-table__thead" },
                      tr({}, th(_("Module")), th(_("Verdict")), th(_("Predicted taint")), th(_("Reason")))),
                   el("tbody", { class: "pf-v5-c-table__tbody" }, rows)),
                el("div", { class: "modctl-plan" }, plan.join("\n")),
                el("div", { class: "pf-v5-c-form" },
                   el("div", { class: "pf-v5-c-form__group" },
                      el("div", { class: "pf-v5-c-form__group-label" },
                         el("label", { class: "pf-v5-c-form__label", for: "load-params" },
                            el("span", { class: "pf-v5-c-form__label-text" }, _("Parameters")))),
                      el("div", { class: "pf-v5-c-form__group-control" }, params)))
            ], [
                button("pf-m-primary", { id: "confirm-load", disabled: denied,
                                         onclick: () => {
                                             call("Load", "sst", [name, params.querySelector("input").value, 0])
                                                     .then(() => { closeDialog(); refreshCatalog() })
                                                     .catch(dialogError);
                                         } }, _("Load")),
                button("pf-m-link", { onclick: closeDialog }, _("Cancel"))
            ]);
            if (denied)
                dialogError({ name: "org.modctl1.Error.PolicyDenied",
                              message: verdicts.filter(v => v[1] === "deny").map(v => v[3]).join(" ") });
        }).catch(ex => showError(ex, cockpit.format(_("Load $0"), name)));
    }

    function unload(name) {
        call("Unload", "st", [name, 0])
                .then(refreshCatalog)
                .catch(ex => showError(ex, cockpit.format(_("Unload $0"), name)));
    }

    /* Settings: each toggle is one call; a setting an admin's file decides is shown, not changeable. */
    function openSettings(name) {
        return call("GetModuleSettings", "s", [name]).then(([boot, blacklisted, disabled, options, sources]) => {
            const foreign = kind => sources.filter(s => s[0] === kind && !s[3]);
            const toggle = (kind, label, checked, method) => {
                const id = "setting-" + kind;
                const elsewhere = foreign(kind);
                const box = el("input", { class: "pf-v5-c-switch__input", type: "checkbox", id, checked,
                                          disabled: checked && elsewhere.length > 0 });
                box.addEventListener("change", () => {
                    settingCall(name, method, "sbt", [name, box.checked, 0])
                            .catch(ex => { box.checked = !box.checked; dialogError(ex) });
                });
                return el("div", { class: "modctl-setting" },
                          el("label", { class: "pf-v5-c-switch", for: id }, box,
                             el("span", { class: "pf-v5-c-switch__toggle" }),
                             el("span", { class: "pf-v5-c-switch__label" }, label)),
                          elsewhere.length ? el("small", { "data-elsewhere": kind },
                                                cockpit.format(_("set in $0, not managed by modctl"),
                                                               elsewhere.map(s => s[2] + " (" + s[1] + ")").join(", ")))
                              : null);
            };
            const ours = sources.filter(s => s[0] === "options" && s[3]).map(s => s[1]).join(" ");
            const optionsBox = el("input", { id: "options-input", value: ours, placeholder: "PARAM=VALUE ..." });
            const theirs = foreign("options");
            openDialog(cockpit.format(_("Settings of $0"), name), [
                toggle("boot", _("Load at boot"), boot, "SetBootLoad"),
                toggle("blacklist", _("Blacklisted (not loaded for devices)"), blacklisted, "SetBlacklisted"),
                toggle("disable", _("Disabled (never loaded)"), disabled, "SetDisabled"),
                el("label", { class: "pf-v5-c-form__label", for: "options-input" },
                   el("span", { class: "pf-v5-c-form__label-text" }, _("Options"))),
                el("div", { class: "pf-v5-c-input-group" },
                   el("div", { class: "pf-v5-c-input-group__item pf-m-fill" },
                      el("span", { class: "pf-v5-c-form-control" }, optionsBox)),
                   el("div", { class: "pf-v5-c-input-group__item" },
                      button("pf-m-control", { id: "options-save",
                                               onclick: () => settingCall(name, "SetOptions", "sst", [name, optionsBox.value.trim(), 0])
                                                       .catch(dialogError) }, _("Save")))),
                theirs.length ? el("small", { "data-elsewhere": "options" },
                                   cockpit.format(_("also set in $0, not managed by modctl"),
                                                  theirs.map(s => s[2] + " (" + s[1] + ")").join(", "))) : null
            ], [
                button("pf-m-primary", { id: "settings-close", onclick: closeDialog }, _("Close"))
            ]);
            settingsOf = name;
        }).catch(ex => showError(ex, cockpit.format(_("Settings of $0"), name)));
    }

    /* The texts of index.html, by its data-text names. */
    function translatePage() {
        const texts = {
            title: _("Kernel modules"),
            loaded: _("heading", "Loaded modules"),
            available: _("Available modules"),
            events: _("Events"),
            name: _("Name"),
            state: _("State"),
            size: _("Size"),
            "used-by": _("Used by"),
            origin: _("Origin"),
            taint: _("Taint"),
            settings: _("Settings"),
            description: _("Description"),
            search: _("Search"),
        };
        for (const e of document.querySelectorAll("[data-text]"))
            e.textContent = texts[e.dataset.text];
        document.title = texts.title;
        $("search-input").setAttribute("placeholder", _("Name or description"));
        $("search-input").setAttribute("aria-label", _("Search"));
        $("page-nav").setAttribute("aria-label", _("Pages of the available modules"));
        $("page-number").setAttribute("aria-label", _("Current page"));
        for (const [id, text] of [["page-first", _("Go to first page")], ["page-prev", _("Go to previous page")],
                                  ["page-next", _("Go to next page")], ["page-last", _("Go to last page")]])
            $(id).setAttribute("aria-label", text);
    }

    function init() {
        translatePage();
        $("search-form").addEventListener("submit", ev => { ev.preventDefault(); showPage($("search-input").value, 0) });
        $("page-first").addEventListener("click", () => goToPage(1));
        $("page-prev").addEventListener("click", () => goToPage(catalog.offset / PAGE_SIZE));
        $("page-next").addEventListener("click", () => goToPage(catalog.offset / PAGE_SIZE + 2));
        $("page-last").addEventListener("click", () => goToPage(Infinity));
        $("page-number").addEventListener("change", ev => goToPage(Number(ev.target.value)));
        subscribe();
        Promise.all([loadAll(), showPage("", 0)]).then(() => {
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
