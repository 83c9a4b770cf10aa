#!/usr/bin/python3
"""Writes server/generated/command_docs.cc: Redis's COMMAND DOCS (doc flags,
deprecation, history and arguments) of every command tierkv implements, as
answered by a reference redis-server, in the text format that
server/command_docs.h describes.

    /usr/bin/python3 tools/command-docs/generate.py [--add NAME ...] [--drop NAME ...] [--check]

The commands documented are those the current file documents, plus --add,
minus --drop (full names: "get", "config|set"); --commands-of PORT takes them
from a tierkv-server running on 127.0.0.1:PORT instead. Commands documented by
hand in server/command_docs_tierkv.cc (tierkv's own) are left out; its
"+name" additions (what Redis 7.2 added) apply to the generated docs. A reference redis-server (default
/usr/bin/redis-server) is started on a free loopback port and stopped again.
--check writes nothing and fails when the file differs from what it would
write (a hand edit, or a reference whose docs changed). Needs redis-py
(Debian's python3-redis).
"""
import argparse
import difflib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

import redis

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUTPUT = os.path.join(ROOT, "server", "generated", "command_docs.cc")
HAND_WRITTEN = os.path.join(ROOT, "server", "command_docs_tierkv.cc")

# The order server/command_docs.cc writes them back in; anything else the
# reference answers is an error, so that nothing is silently dropped.
COMMAND_FIELDS = ("summary", "since", "group", "complexity", "doc_flags",
                  "deprecated_since", "replaced_by", "history", "arguments",
                  "subcommands")
ARGUMENT_FIELDS = ("name", "type", "display_text", "key_spec_index", "token",
                   "summary", "since", "deprecated_since", "flags", "arguments")


def pairs(flat):
    return dict(zip(flat[::2], flat[1::2]))


def documented_names(path):
    """The command names (lines at column 0) of a docs text in a .cc file."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as source:
        text = source.read()
    names = []
    for body in re.findall(r'R"docs\((.*?)\)docs"', text, re.S):
        names.extend(line for line in body.splitlines()
                     if line and not line[0].isspace() and line[0] not in "#+")
    return names


def command_names(port):
    client = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
    conn = client.connection_pool.get_connection("COMMAND")
    conn.send_command("COMMAND")
    names = []
    for info in conn.read_response():
        names.append(info[0])
        names.extend(sub[0] for sub in info[9] or [])
    return names


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_reference(binary, workdir):
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                                "--dir", workdir, "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return process, client
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{binary} did not start")
            time.sleep(0.05)


def reference_docs(client):
    """{full name: docs map} for every command and subcommand."""
    conn = client.connection_pool.get_connection("COMMAND")
    conn.send_command("COMMAND", "DOCS")
    docs = {}
    for name, flat in pairs(conn.read_response()).items():
        doc = pairs(flat)
        docs[name] = doc
        for sub_name, sub_flat in pairs(doc.get("subcommands", [])).items():
            docs[sub_name] = pairs(sub_flat)
    return docs


def checked(text, where):
    if "\n" in text or text != text.strip():
        raise SystemExit(f"{where}: {text!r} does not fit on one line")
    return text


def unexpected(fields, known, where):
    extra = [field for field in fields if field not in known]
    if extra:
        raise SystemExit(f"{where}: fields {extra} are not in the format")


def argument_lines(argument, depth, where):
    fields = pairs(argument)
    unexpected(fields, ARGUMENT_FIELDS, where)
    indent = "  " * depth
    lines = [f"{indent}arg {checked(fields['name'], where)} {fields['type']}"]
    for field in ARGUMENT_FIELDS[2:-1]:
        if field not in fields:
            continue
        value = fields[field]
        if field == "flags":
            value = " ".join(value)
        lines.append(f"{indent}  {field} {checked(str(value), where)}")
    for nested in fields.get("arguments", []):
        lines.extend(argument_lines(nested, depth + 1, where))
    return lines


def command_lines(name, doc):
    unexpected(doc, COMMAND_FIELDS, name)
    lines = [name]
    if "doc_flags" in doc:
        lines.append("  doc_flags " + " ".join(doc["doc_flags"]))
    for field in ("deprecated_since", "replaced_by"):
        if field in doc:
            lines.append(f"  {field} {checked(doc[field], name)}")
    for version, change in doc.get("history", []):
        lines.append(f"  history {checked(version, name)} {checked(change, name)}")
    for argument in doc.get("arguments", []):
        lines.extend(argument_lines(argument, 1, name))
    return lines


HEADER = """\
// GENERATED by tools/command-docs/generate.py from {version}'s COMMAND DOCS:
// do not edit. Regenerate with
//     /usr/bin/python3 tools/command-docs/generate.py [--add NAME] [--drop NAME]
// The format is described in server/command_docs.h; summary, since, group and
// complexity are the command table's own (Redis 7.2's text). Commands whose
// docs are written by hand are in server/command_docs_tierkv.cc.
#include "server/command_docs.h"

namespace tierkv {{

std::string_view GeneratedCommandDocs() {{
  return R"docs(
"""

FOOTER = """\
)docs";
}

}  // namespace tierkv
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", default="/usr/bin/redis-server")
    parser.add_argument("--commands-of", type=int, metavar="PORT",
                        help="take the command names from a tierkv-server on this port")
    parser.add_argument("--add", nargs="*", default=[])
    parser.add_argument("--drop", nargs="*", default=[])
    parser.add_argument("--output", default=OUTPUT)
    parser.add_argument("--check", action="store_true",
                        help="compare with the file instead of writing it")
    options = parser.parse_args()

    if options.commands_of:
        wanted = set(command_names(options.commands_of))
    else:
        wanted = set(documented_names(options.output))
    wanted = (wanted | set(options.add)) - set(options.drop) - set(documented_names(HAND_WRITTEN))
    if not wanted:
        raise SystemExit("no commands to document: name them with --commands-of PORT or --add")

    with tempfile.TemporaryDirectory() as workdir:
        process, client = start_reference(options.reference, workdir)
        try:
            docs = reference_docs(client)
            version = "redis-server " + client.info("server")["redis_version"]
        finally:
            process.terminate()
            process.wait()

    missing = sorted(wanted - set(docs))
    if missing:
        raise SystemExit(f"the reference does not document {missing}: "
                         "write their docs in server/command_docs_tierkv.cc")
    lines = []
    for name in sorted(wanted):
        lines.extend(command_lines(name, docs[name]))
    text = HEADER.format(version=version) + "\n".join(lines) + "\n" + FOOTER
    where = os.path.relpath(options.output, ROOT)
    if options.check:
        with open(options.output, encoding="utf-8") as current:
            differences = list(difflib.unified_diff(current.read().splitlines(), text.splitlines(),
                                                    where, "generated", lineterm="", n=1))
        if differences:
            print("\n".join(differences[:40]))
            raise SystemExit(f"{where} is not what the generator writes: regenerate it")
        print(f"{where} is what the generator writes ({len(wanted)} commands)")
        return 0
    with open(options.output, "w", encoding="utf-8") as out:
        out.write(text)
    print(f"wrote {len(wanted)} commands to {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
