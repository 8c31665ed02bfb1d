package io.github.litestreamspring.engine.replica.s3;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.litestreamspring.engine.ReplicaPaths;

/**
 * An {@code s3://} replica URL parsed the way Litestream v0.3.13 does ({@code ParseReplicaURL} and
 * {@code s3.ParseHost}): the host is the bucket, unless it matches one of the known providers'
 * virtual-host patterns, which then also give the endpoint, the region and path-style addressing.
 * The query string is ignored, as v0.3.13 ignores it.
 *
 * @param bucket the bucket name
 * @param path the replica root: the URL path, cleaned, without its leading slash; empty for none
 * @param endpoint the endpoint URL for S3-compatible providers, or {@code null} for AWS S3
 * @param region the region implied by the host, or {@code null}
 * @param forcePathStyle whether path-style addressing is required
 */
public record S3ReplicaUrl(String bucket, String path, String endpoint, String region, boolean forcePathStyle) {

	// Copied from Litestream's s3 package, including its unescaped dots: same hosts, same results.
	private static final Pattern LOCALHOST = Pattern.compile("^(?:(.+)\\.)?localhost$");

	private static final Pattern BACKBLAZE = Pattern.compile("^(?:(.+)\\.)?s3.([^.]+)\\.backblazeb2.com$");

	private static final Pattern FILEBASE = Pattern.compile("^(?:(.+)\\.)?s3.filebase.com$");

	private static final Pattern DIGITAL_OCEAN = Pattern.compile("^(?:(.+)\\.)?([^.]+)\\.digitaloceanspaces.com$");

	private static final Pattern SCALEWAY = Pattern.compile("^(?:(.+)\\.)?s3.([^.]+)\\.scw.cloud$");

	private static final Pattern LINODE = Pattern.compile("^(?:(.+)\\.)?([^.]+)\\.linodeobjects.com$");

	/**
	 * Parses {@code s3://HOST[:PORT]/PATH}.
	 * @throws IllegalArgumentException if the URL is malformed, not {@code s3://}, or has no bucket
	 */
	public static S3ReplicaUrl parse(String url) {
		URI uri;
		try {
			uri = new URI(url);
		}
		catch (URISyntaxException ex) {
			throw new IllegalArgumentException("invalid replica URL: " + ex.getMessage());
		}
		if (!"s3".equalsIgnoreCase(uri.getScheme())) {
			throw new IllegalArgumentException("not an s3:// replica URL: " + redact(url));
		}
		String authority = uri.getRawAuthority();
		if (authority == null || authority.isEmpty()) {
			throw new IllegalArgumentException("s3 replica URL has no bucket: " + redact(url));
		}
		if (authority.contains("@")) {
			// Litestream v0.3 takes no credentials from the URL; refuse rather than leak them into names.
			throw new IllegalArgumentException("s3 replica URL must not contain credentials");
		}
		String host = authority;
		String port = null;
		int colon = authority.lastIndexOf(':');
		if (colon >= 0 && authority.indexOf(']') < colon) {
			host = authority.substring(0, colon);
			port = authority.substring(colon + 1);
		}
		String rawPath = (uri.getPath() != null) ? uri.getPath() : "";
		String path = ReplicaPaths.join(rawPath);
		path = path.startsWith("/") ? path.substring(1) : path;
		return fromHost(host, port, path);
	}

	private static S3ReplicaUrl fromHost(String host, String port, String path) {
		String scheme = "https";
		String bucket;
		String region = null;
		String endpoint;
		Matcher m;
		if ((m = LOCALHOST.matcher(host)).matches()) {
			bucket = m.group(1);
			region = "us-east-1";
			scheme = "http";
			endpoint = "localhost";
		}
		else if ((m = BACKBLAZE.matcher(host)).matches()) {
			bucket = m.group(1);
			region = m.group(2);
			endpoint = "s3." + region + ".backblazeb2.com";
		}
		else if ((m = FILEBASE.matcher(host)).matches()) {
			bucket = m.group(1);
			endpoint = "s3.filebase.com";
		}
		else if ((m = DIGITAL_OCEAN.matcher(host)).matches()) {
			bucket = m.group(1);
			region = m.group(2);
			endpoint = region + ".digitaloceanspaces.com";
		}
		else if ((m = SCALEWAY.matcher(host)).matches()) {
			bucket = m.group(1);
			region = m.group(2);
			endpoint = "s3." + region + ".scw.cloud";
		}
		else if ((m = LINODE.matcher(host)).matches()) {
			bucket = m.group(1);
			region = m.group(2);
			endpoint = region + ".linodeobjects.com";
		}
		else {
			return new S3ReplicaUrl(requireBucket(host), path, null, null, false);
		}
		if (port != null && !port.isEmpty()) {
			endpoint = endpoint + ":" + port;
		}
		return new S3ReplicaUrl(requireBucket(bucket), path, scheme + "://" + endpoint, region, true);
	}

	private static String requireBucket(String bucket) {
		if (bucket == null || bucket.isEmpty()) {
			throw new IllegalArgumentException("s3 replica URL has no bucket");
		}
		return bucket;
	}

	private static String redact(String url) {
		int at = url.indexOf('@');
		int scheme = url.indexOf("://");
		return (at > 0 && scheme >= 0 && at > scheme) ? url.substring(0, scheme + 3) + "****" + url.substring(at)
				: url;
	}

	/** {@code s3://bucket/path}: the replica's location without provider details. */
	@Override
	public String toString() {
		return "s3://" + this.bucket + "/" + this.path;
	}

}
