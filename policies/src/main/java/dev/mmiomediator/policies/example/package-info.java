/**
 * Examples for policy authors: {@link dev.mmiomediator.policies.example.NicFirstPolicy} ({@code example-nic-first})
 * is a complete rule class with its provider, the one to copy. See the README's "Writing a policy" section.
 */
package dev.mmiomediator.policies.example;
