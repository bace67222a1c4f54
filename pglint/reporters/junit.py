"""JUnit XML (CI test-report views): one test case per file, one ``<failure>`` per
diagnostic. ``tests`` counts files, ``failures`` the files with at least one finding;
each failure's ``type`` is the rule name and its text gives position, rule, message and
help. Characters XML 1.0 cannot carry are replaced by U+FFFD."""

from __future__ import annotations

import re

from . import summary_counts

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _clean(s: str) -> str:
    return _NOT_XML.sub("\ufffd", s)


def document(result):
    import xml.etree.ElementTree as ET

    c = summary_counts(result)
    failed = sum(1 for f in result.files if f.diagnostics)
    attrs = {"name": "pglint", "tests": str(c["files"]), "failures": str(failed), "errors": "0",
             "skipped": "0", "time": f"{result.elapsed:.3f}"}
    root = ET.Element("testsuites", {k: v for k, v in attrs.items() if k != "skipped"})
    suite = ET.SubElement(root, "testsuite", attrs)
    props = ET.SubElement(suite, "properties")
    for k in ("statements", "diagnostics", "errors", "warnings", "infos"):
        ET.SubElement(props, "property", {"name": k, "value": str(c[k])})
    for f in result.files:
        case = ET.SubElement(suite, "testcase", {"classname": "pglint", "name": _clean(f.path),
                                                  "file": _clean(f.path)})
        for d in f.diagnostics:
            fail = ET.SubElement(case, "failure", {
                "type": d.rule,
                "message": _clean(f"{d.code} {d.rule}: {d.message}"),
            })
            body = f"{d.path}:{d.line}:{d.column}: {d.severity} {d.rule} ({d.code})\n{d.message}"
            if d.help:
                body += f"\nhelp: {d.help}"
            fail.text = _clean(body)
        if f.notes:
            out = ET.SubElement(case, "system-out")
            out.text = _clean("\n".join(f"note: not analysed: {n}" for n in f.notes))
    return ET.ElementTree(root)


def render(result, out, options) -> None:
    import xml.etree.ElementTree as ET

    tree = document(result)
    ET.indent(tree, space="  ")
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(tree.getroot(), encoding="unicode"))
    out.write("\n")
