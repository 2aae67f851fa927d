/** Placeholder. */ package io.meridian.core;
