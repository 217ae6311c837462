/*
 * web_assets — the dashboard's files (web/static/), built into the binary
 * by embed.py so kitchen-web needs nothing on disk: index.html is "/",
 * every other file "/NAME". Plain HTML, CSS and JavaScript: no build step,
 * nothing fetched from elsewhere.
 */
#pragma once

#include <stddef.h>

struct web_asset {
	const char *path; /* "/", "/app.js" */
	const char *type; /* "text/html; charset=utf-8", ... */
	const unsigned char *data;
	size_t len;
};

extern const struct web_asset web_assets[];
extern const size_t web_assets_count;

/* The file served at @path, or NULL. */
const struct web_asset *web_asset_find(const char *path);
