/** Placeholder. */ package io.meridian.gateway;
