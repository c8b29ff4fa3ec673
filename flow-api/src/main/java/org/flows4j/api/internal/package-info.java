/**
 * Internal to flows4j: tensor internals that the project's own modules share. Exported only to
 * them, through qualified exports; no API.
 */
package org.flows4j.api.internal;
