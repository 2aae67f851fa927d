package io.meridian.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** What {@code meridian --version} prints: the build's version, from the build's resources. */
final class Version implements CommandLine.IVersionProvider {
  @Override
  public String[] getVersion() throws IOException {
    Properties properties = new Properties();
    try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        properties.load(in);
      }
    }
    return new String[] {
      "Meridian " + properties.getProperty("version", "(version unknown)"),
      "Java " + Runtime.version()
    };
  }
}
