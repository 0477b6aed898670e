/*
 * webui.c - the web UI: the master serves index.html at / (and /master/) and everything
 * under static/ at /static/... from --webui_dir, through the runtime's static-file answer
 * (actor/static.c: content types, ETags, nothing outside the directory). The pages are
 * plain JavaScript that reads state.json from this master and, cross-origin with ?jsonp=,
 * each slave's state and files; master/webui/DESIGN.md describes them.
 */
#include "master/master_int.h"

#include <string.h>

static void on_index(act_actor *self, act_http_req *req)
{
    master *m = act_state(self);
    if (!m->cfg.webui_dir) {
        act_http_respond_text(req, 404, "The web UI is not installed (see --webui_dir).\n");
        return;
    }
    act_http_respond_file(req, m->cfg.webui_dir, "index.html");
}

static void on_static(act_actor *self, act_http_req *req)
{
    master *m = act_state(self);
    if (!m->cfg.webui_dir) {
        act_http_respond_text(req, 404, "Not Found");
        return;
    }
    act_http_respond_file(req, m->cfg.webui_dir, act_http_path(req));
}

void m_webui_routes(act_actor *a)
{
    act_route(a, "", on_index, "The web UI (also at /).");
    act_route(a, "static", on_static, "The web UI's scripts, styles and libraries.");
}
