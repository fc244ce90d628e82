/*
 * nnrt_plot.c -- --plot: curves as a standalone SVG (no dependency, no
 * script, no external font or style): one panel per quantity stacked
 * top to bottom, each with its axes, ticks at round numbers (1, 2 or 5
 * times a power of ten), a grid, its y label and a legend; the x label
 * under the last panel; a title.  The file is written through the caller's
 * nnrt_afile, so it is atomic like every output (runtime/nnrt_file.h).
 *
 * Bad values: a point whose x or y is NaN, infinite or beyond 1e300 is
 * left out (a curve breaks there), ranges come from the finite values
 * only, a panel without any says so; every number written is finite, so
 * the file is valid SVG whatever the data.  Text is XML-escaped.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nnrt_train_internal.h"

#define PL_W 720.0      /* the picture */
#define PL_LEFT 84.0    /* room for the y tick labels and label */
#define PL_RIGHT 24.0
#define PL_TOP 64.0     /* room for the title and the first legend */
#define PL_PANEL 210.0  /* a panel's height */
#define PL_GAP 60.0     /* between panels: the x tick labels, the legend */
#define PL_BOTTOM 56.0  /* the last x tick labels and the x label */
#define PL_TICKS 5.0    /* about this many intervals per axis */
#define PL_MARKS 40     /* at most this many points get a marker */
#define PL_HUGE 1e300   /* values beyond are treated as bad */

static const char *const pl_colour[TR_PLOT_CURVES] = {"#1f77b4", "#d62728"};
static const char *const pl_dash[TR_PLOT_CURVES] = {"", " stroke-dasharray=\"7 4\""};

typedef struct pl_axis {
    double lo, hi, step; /* lo and hi are multiples of step */
} pl_axis;

static int pl_good(double v)
{
    return isfinite(v) && fabs(v) <= PL_HUGE;
}

/* Round ticks over [lo, hi] (finite, lo <= hi): a step of 1, 2 or 5 times
 * a power of ten giving about PL_TICKS intervals, lo and hi widened to
 * multiples of it.  An empty range is widened first. */
static pl_axis pl_nice(double lo, double hi)
{
    if (hi - lo < 1e-12 * (fabs(lo) + fabs(hi)) || hi - lo <= 0.0) {
        double pad = fabs(lo) > 0.0 ? fabs(lo) * 0.1 : 1.0;
        lo -= pad;
        hi += pad;
    }
    double raw = (hi - lo) / PL_TICKS;
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    double step = (f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0) * mag;
    pl_axis a = {floor(lo / step + 1e-9) * step, ceil(hi / step - 1e-9) * step, step};
    if (!(a.hi > a.lo) || !isfinite(a.hi - a.lo))
        a = (pl_axis){0.0, 1.0, 0.2};
    return a;
}

/* A tick's label: as many decimals as the step needs, no "-0". */
static void pl_tick_text(double v, double step, char *buf, size_t cap)
{
    if (fabs(v) < step * 1e-6)
        v = 0.0;
    if (step >= 1e6 || step < 1e-4) {
        snprintf(buf, cap, "%g", v);
        return;
    }
    int dec = step >= 1.0 ? 0 : (int)ceil(-log10(step) - 1e-9);
    snprintf(buf, cap, "%.*f", dec, v);
}

/* Text as XML character data (and attribute values). */
static void pl_text(nnrt_afile *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': nnrt_afile_printf(f, "&amp;"); break;
        case '<': nnrt_afile_printf(f, "&lt;"); break;
        case '>': nnrt_afile_printf(f, "&gt;"); break;
        case '"': nnrt_afile_printf(f, "&quot;"); break;
        default:
            if ((unsigned char)*s >= 0x20)
                nnrt_afile_write(f, s, 1);
        }
    }
}

/* Point i of a curve (column col) is drawn: its x and y are good. */
static int pl_at(const double *pts, long n, size_t stride, size_t col, long i)
{
    return i >= 0 && i < n && pl_good(pts[(size_t)i * stride]) &&
           pl_good(pts[(size_t)i * stride + col]);
}

/* The range of the drawn values of p's curves; 0 if there are none. */
static int pl_range(const tr_plot_panel *p, const double *pts, long n, size_t stride,
                    double *lo, double *hi)
{
    int any = 0;
    for (int c = 0; c < p->n_curves; c++)
        for (long i = 0; i < n; i++) {
            if (!pl_at(pts, n, stride, p->curve[c].col, i))
                continue;
            double v = pts[(size_t)i * stride + p->curve[c].col];
            *lo = any && *lo < v ? *lo : v;
            *hi = any && *hi > v ? *hi : v;
            any = 1;
        }
    return any;
}

/* One curve: polylines over runs of good points; a marker on every point
 * when there are few, else on the lone ones (which no line shows). */
static void pl_curve(nnrt_afile *f, const double *pts, long n, size_t stride, size_t col,
                     const pl_axis *ax, const pl_axis *ay, double top, int c)
{
    double sx = (PL_W - PL_LEFT - PL_RIGHT) / (ax->hi - ax->lo);
    double sy = PL_PANEL / (ay->hi - ay->lo);
    for (long i = 0; i < n; i++) {
        if (!pl_at(pts, n, stride, col, i))
            continue;
        double px = PL_LEFT + (pts[(size_t)i * stride] - ax->lo) * sx;
        double py = top + PL_PANEL - (pts[(size_t)i * stride + col] - ay->lo) * sy;
        int prev = pl_at(pts, n, stride, col, i - 1), next = pl_at(pts, n, stride, col, i + 1);
        if (!prev && next)
            nnrt_afile_printf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s "
                                 "points=\"", pl_colour[c], pl_dash[c]);
        if (prev || next)
            nnrt_afile_printf(f, "%.2f,%.2f%s", px, py, next ? " " : "\"/>\n");
    }
    for (long i = 0; i < n; i++) {
        if (!pl_at(pts, n, stride, col, i))
            continue;
        int lone = !pl_at(pts, n, stride, col, i - 1) && !pl_at(pts, n, stride, col, i + 1);
        if (n > PL_MARKS && !lone)
            continue;
        nnrt_afile_printf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3\" fill=\"%s\"/>\n",
                          PL_LEFT + (pts[(size_t)i * stride] - ax->lo) * sx,
                          top + PL_PANEL - (pts[(size_t)i * stride + col] - ay->lo) * sy,
                          pl_colour[c]);
    }
}

/* One panel with its top edge at `top`. */
static void pl_panel(nnrt_afile *f, const tr_plot_panel *p, const double *pts, long n,
                     size_t stride, const pl_axis *ax, double top, int last, const char *xlabel)
{
    double lo = 0.0, hi = 0.0, right = PL_W - PL_RIGHT, bottom = top + PL_PANEL;
    int any = pl_range(p, pts, n, stride, &lo, &hi);
    if (!any)
        lo = hi = 0.0;
    if (p->from_zero && lo > 0.0)
        lo = 0.0;
    if (p->upto_one && hi < 1.0 && hi > 0.5 && lo >= 0.0)
        hi = 1.0; /* an accuracy: the axis ends at the best it can be */
    pl_axis ay = any ? pl_nice(lo, hi) : (pl_axis){0.0, 1.0, 0.2};
    double sx = (right - PL_LEFT) / (ax->hi - ax->lo), sy = PL_PANEL / (ay.hi - ay.lo);
    char t[64];

    nnrt_afile_printf(f, "<g font-size=\"12\">\n");
    /* grid and tick labels */
    for (double v = ay.lo; v <= ay.hi + ay.step * 1e-6; v += ay.step) {
        double y = bottom - (v - ay.lo) * sy;
        pl_tick_text(v, ay.step, t, sizeof t);
        nnrt_afile_printf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
                             "stroke=\"#dddddd\"/>\n", PL_LEFT, y, right, y);
        nnrt_afile_printf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">%s</text>\n",
                          PL_LEFT - 6.0, y + 4.0, t);
    }
    for (double v = ax->lo; v <= ax->hi + ax->step * 1e-6; v += ax->step) {
        double x = PL_LEFT + (v - ax->lo) * sx;
        pl_tick_text(v, ax->step, t, sizeof t);
        nnrt_afile_printf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
                             "stroke=\"#dddddd\"/>\n", x, top, x, bottom);
        nnrt_afile_printf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
                             "stroke=\"#000000\"/>\n", x, bottom, x, bottom + 5.0);
        nnrt_afile_printf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%s</text>\n",
                          x, bottom + 19.0, t);
    }
    /* the frame: the axes */
    nnrt_afile_printf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                         "fill=\"none\" stroke=\"#000000\"/>\n", PL_LEFT, top, right - PL_LEFT,
                      PL_PANEL);
    /* the y label, turned */
    nnrt_afile_printf(f, "<text transform=\"translate(%.2f,%.2f) rotate(-90)\" "
                         "text-anchor=\"middle\" font-size=\"14\">", 20.0, top + PL_PANEL / 2.0);
    pl_text(f, p->ylabel);
    nnrt_afile_printf(f, "</text>\n");
    if (last) {
        nnrt_afile_printf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" "
                             "font-size=\"14\">", (PL_LEFT + right) / 2.0, bottom + 42.0);
        pl_text(f, xlabel);
        nnrt_afile_printf(f, "</text>\n");
    }
    /* the curves */
    for (int c = 0; c < p->n_curves; c++)
        pl_curve(f, pts, n, stride, p->curve[c].col, ax, &ay, top, c);
    if (!any)
        nnrt_afile_printf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">no finite "
                             "values</text>\n", (PL_LEFT + right) / 2.0, top + PL_PANEL / 2.0);
    /* the legend, above the frame's right end, off the curves */
    for (int c = 0; c < p->n_curves; c++) {
        double x = right - 80.0 * (p->n_curves - c), y = top - 8.0;
        nnrt_afile_printf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
                             "stroke=\"%s\" stroke-width=\"2\"%s/>\n", x, y - 4.0, x + 28.0,
                          y - 4.0, pl_colour[c], pl_dash[c]);
        nnrt_afile_printf(f, "<text x=\"%.2f\" y=\"%.2f\">", x + 34.0, y);
        pl_text(f, p->curve[c].label);
        nnrt_afile_printf(f, "</text>\n");
    }
    nnrt_afile_printf(f, "</g>\n");
}

void nnrt_plot_svg(nnrt_afile *f, const char *title, const char *xlabel, const double *pts,
                   long n, size_t stride, const tr_plot_panel *panels, int n_panels)
{
    double h = PL_TOP + n_panels * PL_PANEL + (n_panels - 1) * PL_GAP + PL_BOTTOM;
    double xlo = 0.0, xhi = 0.0;
    int any = 0;
    for (long i = 0; i < n; i++) {
        double v = pts[(size_t)i * stride];
        if (!pl_good(v))
            continue;
        xlo = any && xlo < v ? xlo : v;
        xhi = any && xhi > v ? xhi : v;
        any = 1;
    }
    if (xlo > 0.0 && xlo <= (xhi - xlo) * 0.25)
        xlo = 0.0; /* a run from its start: the axis starts at 0 */
    pl_axis ax = any ? pl_nice(xlo, xhi) : (pl_axis){0.0, 1.0, 0.2};
    nnrt_afile_printf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
                         "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                         "font-family=\"DejaVu Sans, Arial, sans-serif\">\n",
                      PL_W, h, PL_W, h);
    nnrt_afile_printf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
    nnrt_afile_printf(f, "<text x=\"%.2f\" y=\"28\" text-anchor=\"middle\" font-size=\"16\">",
                      PL_W / 2.0);
    pl_text(f, title);
    nnrt_afile_printf(f, "</text>\n");
    for (int i = 0; i < n_panels; i++)
        pl_panel(f, &panels[i], pts, n, stride, &ax, PL_TOP + i * (PL_PANEL + PL_GAP),
                 i == n_panels - 1, xlabel);
    nnrt_afile_printf(f, "</svg>\n");
}
