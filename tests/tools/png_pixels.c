/* png_pixels FILE: prints "WIDTH HEIGHT DIGEST" of a PNG's pixels decoded to 8-bit RGBA
 * (DIGEST: 64-bit FNV-1a of the pixel bytes, hex), so tests compare images, not encodings. */
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: png_pixels FILE\n");
    return 2;
  }
  png_image image;
  memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, argv[1])) {
    fprintf(stderr, "png_pixels: %s: %s\n", argv[1], image.message);
    return 1;
  }
  image.format = PNG_FORMAT_RGBA;
  const size_t size = PNG_IMAGE_SIZE(image);
  png_bytep pixels = malloc(size);
  if (!pixels) {
    fprintf(stderr, "png_pixels: out of memory\n");
    png_image_free(&image);
    return 1;
  }
  if (!png_image_finish_read(&image, NULL, pixels, 0, NULL)) {
    fprintf(stderr, "png_pixels: %s: %s\n", argv[1], image.message);
    free(pixels);
    return 1;
  }
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < size; ++i) h = (h ^ pixels[i]) * 1099511628211ull;
  printf("%u %u %016llx\n", image.width, image.height, (unsigned long long)h);
  free(pixels);
  return 0;
}
