/**
 * The demos launcher, {@link org.minidiffusion.demos.Demos}, and the demos it runs.
 */
package org.minidiffusion.demos;
