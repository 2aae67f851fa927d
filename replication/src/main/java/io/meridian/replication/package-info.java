/** Placeholder. */ package io.meridian.replication;
