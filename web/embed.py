#!/usr/bin/env python3
"""embed.py OUT.c FILE... -- the dashboard's files as C arrays (web_assets.h)."""

import os
import sys

TYPES = {
	".html": "text/html; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".js": "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
}


def main():
	out, files = sys.argv[1], sys.argv[2:]
	lines = ['#include "web_assets.h"', ""]
	entries = []
	for i, path in enumerate(files):
		name = os.path.basename(path)
		with open(path, "rb") as f:
			data = f.read()
		body = ", ".join(str(b) for b in data)
		lines.append(f"static const unsigned char asset_{i}[] = {{ {body}, 0 }};")
		url = "/" if name == "index.html" else "/" + name
		kind = TYPES[os.path.splitext(name)[1]]
		entries.append(f'\t{{ "{url}", "{kind}", asset_{i}, {len(data)} }},')
	lines.append("")
	lines.append("const struct web_asset web_assets[] = {")
	lines.extend(entries)
	lines.append("};")
	lines.append(f"const size_t web_assets_count = {len(entries)};")
	with open(out, "w") as f:
		f.write("\n".join(lines) + "\n")


main()
