"""Reads static.json and writes the nginx server configuration of a static site.

    python3 site-conf.py APP_DIR OUT_FILE

static.json (optional, every key optional):
    {
      "root": "dist",          folder to serve, relative to the app (default: the app's root)
      "spa": true,             single-page app: unknown paths answer /index.html (default false)
      "clean_urls": true,      /about serves /about.html (default false)
      "error_page": "404.html" page (relative to root) for 404s (default: nginx's own)
    }

Writes OUT_FILE (an nginx `server` body without `listen`, which the start script adds with
$PORT) and prints a summary, one line per setting. Exits 1 with the reason on stderr when
static.json is invalid or names files that do not exist. The app is served from /app at run
time, so paths in the configuration are /app-relative whatever APP_DIR is.
"""

import json
import os
import sys

KNOWN = {"root": str, "spa": bool, "clean_urls": bool, "error_page": str}
RUN_DIR = "/app"

# File extensions that fingerprinted assets have (name.3f2a9c1b.js, index-BdTz2k3F.css...).
ASSETS = "css|js|mjs|map|json|svg|png|jpe?g|gif|webp|avif|ico|woff2?|ttf|otf|eot|wasm|mp4|webm|mp3|ogg"
# A hash-like part of 8+ characters with at least one digit, after a '.' or '-'.
FINGERPRINT = r"[.-](?=[A-Za-z0-9_]*[0-9])[A-Za-z0-9_]{8,}\.(" + ASSETS + r")$"


class SiteError(Exception):
    pass


def inside(base, rel):
    """The normalised path of rel under base, or None when it escapes base."""
    full = os.path.normpath(os.path.join(base, rel))
    return full if full == base or full.startswith(base + os.sep) else None


def load(app):
    path = os.path.join(app, "static.json")
    if not os.path.isfile(path):
        return {}, []
    try:
        with open(path, encoding="utf-8") as f:
            conf = json.load(f)
    except json.JSONDecodeError as err:
        raise SiteError(f"static.json is not valid JSON: {err}") from None
    if not isinstance(conf, dict):
        raise SiteError("static.json must be a JSON object, e.g. {\"spa\": true}.")
    warnings = []
    for key, value in conf.items():
        if key not in KNOWN:
            warnings.append(f'static.json: unknown key "{key}" ignored (known: {", ".join(KNOWN)})')
        elif not isinstance(value, KNOWN[key]):
            kind = "true or false" if KNOWN[key] is bool else "a string"
            raise SiteError(f'static.json: "{key}" must be {kind}.')
    return conf, warnings


def server_conf(app, conf):
    app = os.path.abspath(app)
    root_rel = conf.get("root", ".").strip() or "."
    root = inside(app, root_rel)
    if root is None:
        raise SiteError(f'static.json: "root" ("{root_rel}") must be a folder inside the app.')
    if not os.path.isdir(root):
        raise SiteError(f'static.json: "root" names {root_rel}/, which does not exist after the build.')
    run_root = RUN_DIR + root[len(app):]
    spa = conf.get("spa", False)
    if spa and not os.path.isfile(os.path.join(root, "index.html")):
        raise SiteError(f'static.json: "spa" is true but {root_rel}/index.html does not exist.')
    error_page = conf.get("error_page")
    if error_page is not None:
        page = inside(root, error_page.lstrip("/"))
        if page is None or not os.path.isfile(page):
            raise SiteError(f'static.json: "error_page" names {error_page}, which is not a file under {root_rel}/.')

    tries = ["$uri", "$uri/"]
    if conf.get("clean_urls"):
        tries.insert(1, "$uri.html")
    fallback = "/index.html" if spa else "=404"
    lines = [
        f"root {run_root};",
        "index index.html index.htm;",
        "charset utf-8;",
        "charset_types text/css text/plain text/xml application/javascript application/json image/svg+xml;",
        "# Dotfiles are never served (.well-known/ is).",
        r"location ~ /\.(?!well-known/) { return 404; }",
    ]
    if run_root == RUN_DIR:
        lines.append("# The app's own files, when its root is served.")
        lines.append(r"location ~ ^/(static\.json|Procfile|app\.json)$ { return 404; }")
    if error_page is not None:
        lines.append(f"error_page 404 /{error_page.lstrip('/')};")
    lines += [
        "# Fingerprinted assets never change: cached for a year.",
        f'location ~* "{FINGERPRINT}" {{',
        '  add_header Cache-Control "public, max-age=31536000, immutable";',
        "  try_files $uri =404;",
        "}",
        "# HTML is revalidated on every visit (ETag / Last-Modified), so a deploy shows at once.",
        r"location ~* \.html?$ {",
        '  add_header Cache-Control "no-cache";',
        f"  try_files $uri {fallback};",
        "}",
        "# Everything else: cached for 10 minutes.",
        "location / {",
        '  add_header Cache-Control "public, max-age=600";',
        f"  try_files {' '.join(tries)} {fallback};",
        "}",
    ]
    summary = [
        f"Serving {root_rel if root_rel != '.' else 'the app root'}" + ("/" if root_rel != "." else ""),
        f"Single-page app fallback to /index.html: {'on' if spa else 'off'}",
        f"Clean URLs (/about → /about.html): {'on' if conf.get('clean_urls') else 'off'}",
    ]
    if error_page is not None:
        summary.append(f"404 page: /{error_page.lstrip('/')}")
    return "\n".join(lines) + "\n", summary


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: site-conf.py APP_DIR OUT_FILE\n")
        return 2
    app, out = argv
    try:
        conf, warnings = load(app)
        text, summary = server_conf(app, conf)
    except SiteError as err:
        sys.stderr.write(f"{err}\n")
        return 1
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    for line in warnings:
        print(f"warning: {line}")
    for line in summary:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
