/* libcodlua_fastpng: loaded into the gnuplot processes codlua starts (LD_PRELOAD), it makes
 * the PNGs of pngcairo cheaper to encode. cairo writes PNGs through libpng with libpng's
 * defaults: zlib level 6 and a per-row trial of all five filters. On codlua's charts (flat
 * colours, mostly white) that encoding was ~60% of gnuplot's CPU time, and gnuplot has no
 * setting for it. Here every PNG writer libpng creates gets zlib level 1 and no filter:
 * the same pixels, files ~2% larger on a 2 x 2,000-item report, encoded in a fraction of the
 * time. Nothing else in the process is touched.
 *
 * How: this library defines png_create_write_struct, so cairo's call lands here first. It
 * calls the next definition in the process's search order (the libpng cairo uses) and sets
 * the two options with that same library's functions. It does not link libpng itself, so it
 * can never bring a second libpng into the process. Built without sanitizers, whatever the
 * build (it runs inside gnuplot). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <png.h>

typedef png_structp (*create_write_fn)(png_const_charp, png_voidp, png_error_ptr, png_error_ptr);
typedef void (*set_int_fn)(png_structp, int);
typedef void (*set_filter_fn)(png_structp, int, int);

__attribute__((visibility("default"))) png_structp PNGAPI
png_create_write_struct(png_const_charp version, png_voidp error_ptr, png_error_ptr error_fn,
                        png_error_ptr warn_fn) {
  /* Looked up on each call: a process writes a few PNGs, and no state is shared between threads. */
  create_write_fn create = (create_write_fn)dlsym(RTLD_NEXT, "png_create_write_struct");
  if (!create) return NULL; /* no libpng behind us: cairo reports the failure */
  png_structp png = create(version, error_ptr, error_fn, warn_fn);
  set_int_fn set_level = (set_int_fn)dlsym(RTLD_NEXT, "png_set_compression_level");
  set_filter_fn set_filter = (set_filter_fn)dlsym(RTLD_NEXT, "png_set_filter");
  if (png && set_level && set_filter) {
    set_level(png, 1);
    set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
  }
  return png;
}
