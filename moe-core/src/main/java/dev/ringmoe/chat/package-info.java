/**
 * Hugging Face chat templates rendered in Java: {@link dev.ringmoe.chat.ChatTemplate} reads a
 * checkpoint's {@code chat_template} and renders a conversation of {@link
 * dev.ringmoe.chat.ChatMessage}s byte for byte as transformers' {@code apply_chat_template} does;
 * every failure is a {@link dev.ringmoe.chat.ChatTemplateException} naming the template's file.
 */
package dev.ringmoe.chat;
