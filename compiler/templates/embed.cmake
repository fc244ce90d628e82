# cmake -DIN=<template> -DOUT=<file.c> -P embed.cmake
# Writes OUT: the lines of IN as `const char *const nng_template[]`, one
# string per line, NULL-terminated (one literal per line keeps every literal
# far below the 4095 characters ISO C guarantees).
file(READ "${IN}" text)
string(REPLACE "\\" "\\\\" text "${text}")
string(REPLACE "\"" "\\\"" text "${text}")
string(REPLACE "\t" "\\t" text "${text}")
string(REGEX REPLACE "\n$" "" text "${text}")
string(REPLACE "\n" "\",\n    \"" text "${text}")
file(WRITE "${OUT}.tmp"
  "/* Generated from ${IN} by embed.cmake: do not edit. */\n"
  "#include <stddef.h>\n\n"
  "extern const char *const nng_template[];\n"
  "const char *const nng_template[] = {\n    \"${text}\",\n    NULL};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
