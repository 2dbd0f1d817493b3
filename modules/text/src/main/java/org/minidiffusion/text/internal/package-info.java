/**
 * The machinery behind the tokenizers, not exported: the BPE merge table, the pre-tokenisation
 * scanners, the byte-to-unicode table, a JSON reader and UTF-8 file helpers.
 */
package org.minidiffusion.text.internal;
