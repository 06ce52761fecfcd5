#include <curl/curl.h>

// Swift cannot call C variadic functions, so curl_easy_setopt and curl_easy_getinfo get typed wrappers.
static inline CURLcode lsync_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode lsync_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode lsync_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode lsync_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}
typedef size_t (*lsync_curl_write_callback)(char *data, size_t size, size_t count, void *context);
static inline CURLcode lsync_curl_setopt_write_function(CURL *handle, CURLoption option, lsync_curl_write_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}
static inline CURLcode lsync_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode lsync_curl_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

// The options every transfer shares (feeds and webhooks): http and https only, connect and total timeouts,
// TLS verification with an optional CA bundle, the user agent, and no signals (libcurl runs on plain threads).
static inline void lsync_curl_setopt_transfer(CURL *handle, long connect_ms, long total_ms, int verify_tls,
                                              const char *ca_file, const char *user_agent) {
    curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, verify_tls ? 1L : 0L);
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, verify_tls ? 2L : 0L);
    if (ca_file) curl_easy_setopt(handle, CURLOPT_CAINFO, ca_file);
    curl_easy_setopt(handle, CURLOPT_USERAGENT, user_agent);
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
}
