/**
 * The HTTP gateway and the launcher. {@link io.meridian.gateway.Main} parses the command line and
 * {@link io.meridian.gateway.MeridianNode} wires a node together (the one composition root); {@code
 * HttpApiVerticle} serves the API that {@code HttpApi} assembles from the {@code *Routes} classes;
 * {@code Problems} is the one mapping from failures to problem+json; {@code KeyPath}, {@code
 * JsonBodies} and {@code RequestParams} validate input; {@code ConnectionDeadlines} cuts off slow
 * clients.
 */
package io.meridian.gateway;
