/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "settings/boot-list.h"
#include "common/proc-cmdline.h"
#include "common/strv.h"

static const char *const boot_list_dirs[] = {
        "/etc/modules-load.d", "/run/modules-load.d", "/usr/local/lib/modules-load.d", "/usr/lib/modules-load.d",
};

static int add_unique(char ***names, const char *name) {
        if (strv_contains(*names, name))
                return 0;
        return strv_extend(names, name);
}

static bool is_conf_name(const char *n) {
        size_t l = strlen(n);
        return n[0] != '.' && l > 5 && strcmp(n + l - 5, ".conf") == 0;
}

/* systemd-modules-load masks with a link to /dev/null; any character device reads as empty. */
static bool is_masked(const char *path) {
        struct stat st;
        return stat(path, &st) < 0 || S_ISCHR(st.st_mode);
}

static int compare_basenames(const void *a, const void *b) {
        const char *x = *(char *const *) a, *y = *(char *const *) b;
        return strcmp(strrchr(x, '/') + 1, strrchr(y, '/') + 1);
}

int boot_list_files(const char *root, char ***ret) {
        _cleanup_(strv_freep) char **names = NULL, **paths = NULL;
        int r;

        assert(ret);

        for (size_t i = 0; i < ELEMENTSOF(boot_list_dirs); i++) {
                _cleanup_free_ char *dir = NULL;
                _cleanup_(closedirp) DIR *d = NULL;

                if (asprintf(&dir, "%s%s", strempty(root), boot_list_dirs[i]) < 0)
                        return -ENOMEM;
                d = opendir(dir);
                if (!d)
                        continue;
                for (struct dirent *de; (de = readdir(d)); ) {
                        _cleanup_free_ char *p = NULL;

                        if (!is_conf_name(de->d_name) || strv_contains(names, de->d_name))
                                continue;
                        /* The name is taken even when masked: masking hides the later ones too. */
                        r = strv_extend(&names, de->d_name);
                        if (r >= 0 && asprintf(&p, "%s/%s", dir, de->d_name) < 0)
                                r = -ENOMEM;
                        if (r >= 0 && !is_masked(p))
                                r = strv_push(&paths, TAKE_PTR(p));
                        if (r < 0)
                                return r;
                }
        }

        if (!paths) {
                paths = calloc(1, sizeof(char *));
                if (!paths)
                        return -ENOMEM;
        }
        qsort(paths, strv_length(paths), sizeof(char *), compare_basenames);
        *ret = TAKE_PTR(paths);
        return 0;
}

int boot_list_parse_string(const char *text, char ***names) {
        _cleanup_free_ char *copy = strdup(text);
        char *p, *line;
        int r;

        assert(text);

        if (!copy)
                return -ENOMEM;
        p = copy;
        while ((line = strsep(&p, "\n"))) {
                line += strspn(line, " \t\r");
                size_t l = strlen(line);
                while (l > 0 && strchr(" \t\r", line[l - 1]))
                        line[--l] = '\0';
                if (l == 0 || line[0] == '#' || line[0] == ';')
                        continue;
                r = add_unique(names, line);
                if (r < 0)
                        return r;
        }
        return 0;
}

int boot_list_parse_file(const char *path, char ***names) {
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_free_ char *text = NULL;
        size_t size = 0;

        assert(path);
        assert(names);

        f = fopen(path, "re");
        if (!f)
                return -errno;
        /* modules-load.d files are tiny; read the whole file, then parse like a string. */
        FILE *m = open_memstream(&text, &size);
        if (!m)
                return -ENOMEM;
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
                fwrite(buf, 1, n, m);
        bool bad = ferror(f);
        if (fclose(m) != 0 || !text)
                return -ENOMEM;
        if (bad)
                return -EIO;
        return boot_list_parse_string(text, names);
}

/* Splits the kernel command line into words; double quotes group, as the kernel does. */
static int next_word(const char **p, char **ret) {
        const char *s = *p + strspn(*p, " \t\n");
        char *w, *o;
        bool quoted = false;

        if (!*s) {
                *ret = NULL;
                return 0;
        }
        w = o = malloc(strlen(s) + 1);
        if (!w)
                return -ENOMEM;
        for (; *s && (quoted || !strchr(" \t\n", *s)); s++) {
                if (*s == '"')
                        quoted = !quoted;
                else
                        *o++ = *s;
        }
        *o = '\0';
        *p = s;
        *ret = w;
        return 1;
}

int boot_list_parse_cmdline(const char *cmdline, char ***names) {
        const char *p = cmdline;
        int r;

        assert(cmdline);
        assert(names);

        for (;;) {
                _cleanup_free_ char *w = NULL;
                const char *v;

                r = next_word(&p, &w);
                if (r <= 0)
                        return r;
                if (strncmp(w, "modules_load=", 13) == 0)
                        v = w + 13;
                else if (strncmp(w, "rd.modules_load=", 16) == 0)
                        v = w + 16;
                else
                        continue;

                _cleanup_free_ char *list = strdup(v);
                if (!list)
                        return -ENOMEM;
                char *q = list, *item;
                while ((item = strsep(&q, ","))) {
                        if (!*item)
                                continue;
                        r = add_unique(names, item);
                        if (r < 0)
                                return r;
                }
        }
}

int boot_list_load(const char *root, const char *cmdline, char ***ret) {
        _cleanup_(strv_freep) char **files = NULL, **names = NULL;
        _cleanup_free_ char *proc = NULL;
        int r;

        assert(ret);

        r = boot_list_files(root, &files);
        if (r < 0)
                return r;
        STRV_FOREACH(f, files) {
                r = boot_list_parse_file(*f, &names);
                if (r < 0 && r != -ENOENT) /* removed meanwhile: as if masked */
                        return r;
        }

        if (!cmdline) {
                /* No /proc (a test chroot) means no command line, not an error. */
                if (proc_cmdline_read(&proc) >= 0)
                        cmdline = proc;
        }
        if (cmdline) {
                r = boot_list_parse_cmdline(cmdline, &names);
                if (r < 0)
                        return r;
        }

        if (!names) {
                names = calloc(1, sizeof(char *));
                if (!names)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(names);
        return 0;
}
