"""What a Python app asks for, read for the buildpack's bash scripts.

    python3 pydeps.py check-version APP_DIR
        Checks every version request the app makes (.python-version, runtime.txt, Pipfile
        [requires], Pipfile.lock _meta, pyproject.toml requires-python) against the Python running
        this script, which is the stack's only Python. Prints one line per request that was
        checked; exits 1 with the reason on stderr when one cannot be honoured.

    python3 pydeps.py requirements APP_DIR OUT_FILE
        Picks the app's dependency declaration (requirements.txt, else Pipfile.lock, else Pipfile,
        else pyproject.toml [project] dependencies) and writes a pip requirements file to OUT_FILE
        (for requirements.txt: nothing, pip reads it directly). Prints the source's name on stdout.
        Also writes OUT_FILE.inputs: the digest of everything pip's result depends on, or nothing
        when that cannot be told (see pip_inputs).

Runs under Debian's python3 (3.11: tomllib is in the standard library) with python3-packaging.
Exit codes: 0 fine, 1 the app's files ask for something impossible or are invalid, 2 bad usage.
"""

import hashlib
import json
import os
import re
import sys
import tomllib

try:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
except ImportError:  # the build stack ships python3-packaging; keep a clear message otherwise
    SpecifierSet = None
    InvalidSpecifier = ValueError


class AppError(Exception):
    """The app's files ask for something that cannot be done; the message says what to change."""


def stack_version():
    return ".".join(str(part) for part in sys.version_info[:3])


def stack_line():
    return f"this stack has Python {stack_version()} (Debian's python3) and no other"


def matches(wanted, actual):
    """"3", "3.11" and "3.11.2" name 3.11.2; fewer parts mean any value for the rest."""
    return actual == wanted or actual.startswith(wanted + ".")


def check_exact(source, wanted, hint_file):
    actual = stack_version()
    if not re.fullmatch(r"\d+(\.\d+){0,2}", wanted):
        raise AppError(
            f'{source} asks for Python "{wanted}", which is not a version like 3.11 or 3.11.2.\n'
            f"Write {sys.version_info[0]}.{sys.version_info[1]} in {hint_file} (or remove it) and push again."
        )
    if not matches(wanted, actual):
        raise AppError(
            f"{source} asks for Python {wanted}, but {stack_line()}.\n"
            f"Change {hint_file} to {sys.version_info[0]}.{sys.version_info[1]} (or remove it) and push again."
        )
    return f"{source}: {wanted}, satisfied by Python {actual}"


def check_specifier(source, spec, hint_file):
    actual = stack_version()
    if SpecifierSet is None:
        raise AppError(f"{source} sets {spec!r}, but python3-packaging is missing from the build stack.")
    try:
        specifiers = SpecifierSet(spec)
    except InvalidSpecifier:
        raise AppError(f'{source} "{spec}" is not a valid version specifier (e.g. ">=3.10").') from None
    if not specifiers.contains(actual, prereleases=True):
        raise AppError(
            f'{source} "{spec}" excludes Python {actual}, and {stack_line()}.\n'
            f"Change {hint_file} so that it accepts Python {sys.version_info[0]}.{sys.version_info[1]} and push again."
        )
    return f'{source}: "{spec}", satisfied by Python {actual}'


def first_line(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                return line
    return ""


def load_toml(path):
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as err:
        raise AppError(f"{os.path.basename(path)} is not valid TOML: {err}") from None


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as err:
        raise AppError(f"{os.path.basename(path)} is not valid JSON: {err}") from None


def check_version(app):
    checked = []
    path = os.path.join(app, ".python-version")
    if os.path.isfile(path):
        wanted = first_line(path)
        # pyenv's names: "3.11.2", also "system"; a "python-" or "cpython-" prefix is tolerated.
        wanted = re.sub(r"^(c?python-?)", "", wanted)
        if wanted and wanted != "system":
            checked.append(check_exact(".python-version", wanted, ".python-version"))
    path = os.path.join(app, "runtime.txt")
    if os.path.isfile(path):
        line = first_line(path)
        found = re.fullmatch(r"python-(\S+)", line)
        if not found:
            raise AppError(
                f'runtime.txt says "{line}"; the only form understood is python-<version>, e.g. '
                f"python-{sys.version_info[0]}.{sys.version_info[1]}."
            )
        checked.append(check_exact("runtime.txt", found.group(1), "runtime.txt"))
    path = os.path.join(app, "Pipfile")
    if os.path.isfile(path):
        requires = load_toml(path).get("requires", {})
        for key in ("python_full_version", "python_version"):
            if isinstance(requires.get(key), str):
                checked.append(check_exact(f"Pipfile [requires] {key}", requires[key], "Pipfile"))
    path = os.path.join(app, "Pipfile.lock")
    if os.path.isfile(path) and not os.path.isfile(os.path.join(app, "requirements.txt")):
        requires = (load_json(path).get("_meta") or {}).get("requires") or {}
        for key in ("python_full_version", "python_version"):
            if isinstance(requires.get(key), str):
                checked.append(check_exact(f"Pipfile.lock requires {key}", requires[key], "Pipfile (then pipenv lock)"))
    path = os.path.join(app, "pyproject.toml")
    if os.path.isfile(path):
        spec = (load_toml(path).get("project") or {}).get("requires-python")
        if isinstance(spec, str) and spec.strip():
            checked.append(check_specifier("pyproject.toml requires-python", spec.strip(), "requires-python in pyproject.toml"))
    return checked


def requirement_from_pipfile(name, spec):
    """One Pipfile / Pipfile.lock entry as a pip requirement line."""
    if isinstance(spec, str):
        return name if spec.strip() in ("", "*") else f"{name}{spec.strip()}"
    if not isinstance(spec, dict):
        raise AppError(f"Pipfile entry {name!r} is neither a version string nor a table.")
    extras = spec.get("extras") or []
    named = f"{name}[{','.join(extras)}]" if extras else name
    markers = spec.get("markers")
    suffix = f"; {markers}" if isinstance(markers, str) and markers else ""
    if "path" in spec:
        line = spec["path"]
        return f"-e {line}" if spec.get("editable") else line
    if "file" in spec:
        return f"{named} @ {spec['file']}{suffix}"
    for vcs in ("git", "hg", "svn", "bzr"):
        if vcs in spec:
            url = spec[vcs]
            if not url.startswith(f"{vcs}+"):
                url = f"{vcs}+{url}"
            ref = spec.get("ref")
            url = f"{url}@{ref}" if ref else url
            line = f"{named} @ {url}"
            return f"-e {url}#egg={name}" if spec.get("editable") else line
    version = spec.get("version", "*")
    version = "" if version in ("", "*") else version
    return f"{named}{version}{suffix}"


def requirements(app, out):
    """Returns the name of the source, writing OUT unless pip can read the source itself."""
    if os.path.isfile(os.path.join(app, "requirements.txt")):
        return "requirements.txt"
    lines = []
    lock = os.path.join(app, "Pipfile.lock")
    pipfile = os.path.join(app, "Pipfile")
    pyproject = os.path.join(app, "pyproject.toml")
    if os.path.isfile(lock):
        source = "Pipfile.lock"
        default = load_json(lock).get("default") or {}
        lines = [requirement_from_pipfile(name, spec) for name, spec in sorted(default.items())]
    elif os.path.isfile(pipfile):
        source = "Pipfile"
        packages = load_toml(pipfile).get("packages") or {}
        lines = [requirement_from_pipfile(name, spec) for name, spec in packages.items()]
    elif os.path.isfile(pyproject):
        data = load_toml(pyproject)
        project = data.get("project")
        if project is None:
            tools = sorted((data.get("tool") or {}).keys())
            if "poetry" in tools:
                raise AppError(
                    "pyproject.toml declares its dependencies for Poetry ([tool.poetry]), which this stack does not have.\n"
                    "Declare them in a [project] table (PEP 621: dependencies = [...]) or commit a requirements.txt "
                    "(poetry export -f requirements.txt -o requirements.txt)."
                )
            raise AppError(
                "pyproject.toml has no [project] table, so it declares no dependencies.\n"
                "Add [project] with name, version and dependencies = [...] (PEP 621), or commit a requirements.txt."
            )
        deps = project.get("dependencies", [])
        if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
            raise AppError("pyproject.toml [project] dependencies must be a list of requirement strings.")
        source = "pyproject.toml [project] dependencies"
        lines = deps
    else:
        source = "none"
    with open(out, "w", encoding="utf-8") as f:
        f.write("".join(f"{line}\n" for line in lines))
    return source


# Files a requirement line may name: pip installs them as they are, by path.
LOCAL_FILE = re.compile(r"^(\.|/|~)|[/\\]|\.(whl|zip|tar\.gz|tgz|tar\.bz2)$", re.IGNORECASE)


def pip_inputs(requirements_file, app):
    """The digest of what `pip install -r` depends on once the virtualenv satisfied these very
    requirements: their text, the content of every local file they name and the PIP_* settings.
    Over such a virtualenv, pip installs nothing for requirements by name (it never upgrades what
    is satisfied). None (pip must run) when a line is an option (-r, -c, -e, --index-url...), a URL,
    or a path that is not a file of the app: what those bring can change without any of this."""
    digest = hashlib.sha256(b"pip-inputs v1\n")
    try:
        with open(requirements_file, "rb") as f:
            text = f.read()
    except OSError:
        return None
    digest.update(text)
    for raw in text.decode("utf-8", "replace").replace("\\\n", "").splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        line = re.sub(r"\s--hash[=\s]\S+", "", line).strip()
        if not line:
            continue
        if line.startswith("-") or "://" in line or re.search(r"\s@\s|^\S+@", line):
            return None
        if LOCAL_FILE.search(line.split(";")[0].strip()):
            path = os.path.join(app, os.path.expanduser(line.split(";")[0].strip()))
            if not os.path.isfile(path):
                return None
            with open(path, "rb") as f:
                digest.update(f"\nfile {line}\n".encode() + hashlib.sha256(f.read()).digest())
    for name in sorted(k for k in os.environ if k.upper().startswith("PIP_")):
        digest.update(f"\nenv {name}={os.environ[name]}".encode())
    return digest.hexdigest()


def main(argv):
    if len(argv) >= 2 and argv[0] == "check-version":
        for line in check_version(argv[1]):
            print(line)
        return 0
    if len(argv) >= 3 and argv[0] == "requirements":
        source = requirements(argv[1], argv[2])
        used = os.path.join(argv[1], "requirements.txt") if source == "requirements.txt" else argv[2]
        with open(f"{argv[2]}.inputs", "w", encoding="utf-8") as f:
            f.write(pip_inputs(used, argv[1]) or "")
        print(source)
        return 0
    sys.stderr.write("usage: pydeps.py check-version APP_DIR | requirements APP_DIR OUT_FILE\n")
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except AppError as err:
        sys.stderr.write(f"{err}\n")
        sys.exit(1)
