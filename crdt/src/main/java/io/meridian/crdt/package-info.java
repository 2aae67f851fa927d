/** Placeholder. */ package io.meridian.crdt;
