/**
 * Node configuration: {@link io.meridian.core.config.MeridianConfig} is the typed, validated schema
 * of API.md section 1; {@link io.meridian.core.config.ConfigLoader} builds it from the embedded
 * {@code defaults.yaml}, a YAML file and {@code --set} overrides; {@link
 * io.meridian.core.config.ConfigException} names the offending key in one line.
 */
package io.meridian.core.config;
