/**
 * Reading a model's {@code config.json} (diffusers writes one beside every checkpoint): a strict JSON
 * parser and typed access to the keys, with errors that name the file and the key.
 *
 * <p>The model modules build their configuration records with {@link org.minidiffusion.nn.config.ConfigJson};
 * every failure is a {@link org.minidiffusion.nn.config.ConfigFileException}.
 */
package org.minidiffusion.nn.config;
