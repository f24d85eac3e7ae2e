package dev.ringmoe.server;

import io.javalin.json.JsonMapper;
import java.lang.reflect.Type;

/** Javalin's JSON through Gson (the project's JSON library), so Javalin never needs Jackson. */
final class GsonJsonMapper implements JsonMapper {
  @Override
  public String toJsonString(Object obj, Type type) {
    return Responses.GSON.toJson(obj, type);
  }

  @Override
  public <T> T fromJsonString(String json, Type targetType) {
    return Responses.GSON.fromJson(json, targetType);
  }
}
