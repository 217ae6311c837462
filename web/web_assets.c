#include "web_assets.h"

#include <string.h>

const struct web_asset *web_asset_find(const char *path)
{
	for (size_t i = 0; i < web_assets_count; i++)
		if (strcmp(web_assets[i].path, path) == 0)
			return &web_assets[i];
	return NULL;
}
