/** maskrt's exceptions: {@link dev.maskrt.error.MaskrtException} and its subtypes. */
package dev.maskrt.error;
