import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config.js';
import { displayUrl } from '../secrets.js';
import { faultPoint, killWhileRunning } from '../faults.js';
import { targetError } from './errors.js';
import { processExists } from './processes.js';

/**
 * The Parquet lake: keys are Hive-style relative paths ("agg_events_hourly/event_date=…/event_hour=…/part-0.parquet").
 * A partition is one object, so writing it replaces the partition whole: a reader sees the old file or
 * the new one, never half of either.
 */
export interface Lake {
  readonly location: string;
  write(key: string, bytes: Buffer): Promise<void>;
  /** The object's bytes, or undefined when there is none. */
  read(key: string): Promise<Buffer | undefined>;
  /**
   * Every object below a prefix, sorted, whatever its name: a reader of a partition reads every file in
   * it, so whoever checks a partition must see them all.
   */
  list(prefix: string): Promise<string[]>;
  /** Deletes an object; an object that is not there is no error. */
  remove(key: string): Promise<void>;
  /**
   * Deletes the staging objects of writers that died before publishing them (see {@link STAGING_PREFIX});
   * returns their keys.
   */
  sweepStaging(): Promise<string[]>;
  /** Releases connections (the S3 client's sockets). */
  close(): Promise<void>;
}

/**
 * Where a directory lake stages a partition before renaming it into place: beside the tables, never
 * inside a partition folder, and starting with `_`, which Hive readers (Spark, Trino, Athena, DuckDB)
 * skip. It is on the lake's own filesystem, so the rename stays atomic.
 */
export const STAGING_PREFIX = '_staging/';

/**
 * A staging file older than this is abandoned, whoever wrote it: a writer publishes within seconds of
 * staging. This covers what the pid test below cannot: writers on other hosts sharing the lake, and a
 * dead writer's pid reused by a live process. Were a live writer ever stalled this long between staging
 * and rename, its rename fails and the export task fails (and is retried): no partition is lost or torn.
 */
export const STAGING_MAX_AGE_MS = 60 * 60_000;

/** The crash drill of the export, reached from the second write of a lake on: one partition is already replaced. */
const EXPORT_DRILL = 'mid:export_gold_to_s3';

export async function openLake(target: Config['lake']): Promise<Lake> {
  return target.mode === 's3' ? openS3Lake(target) : openDirectoryLake(target.path);
}

/** `<host>.<pid>.<random>.tmp`: unique per writer and per write, and says who wrote it. */
const STAGING_NAME = /^(.+)\.(\d+)\.[0-9a-f]+\.tmp$/;

function openDirectoryLake(root: string): Lake {
  const resolve = (key: string) => path.join(root, ...key.split('/'));
  const stagingDir = resolve(STAGING_PREFIX);
  const host = os.hostname();
  let writes = 0;

  /**
   * A staging file is abandoned when its writer ran on this host and is dead (a rerun right after a
   * `kill -9` sweeps it at once), or when it is older than {@link STAGING_MAX_AGE_MS}. A live writer's
   * file, this process's own included, is never taken while it is younger than that.
   */
  const abandoned = (name: string, modifiedMs: number): boolean => {
    if (Date.now() - modifiedMs > STAGING_MAX_AGE_MS) return true;
    const writer = STAGING_NAME.exec(name);
    if (!writer || writer[1] !== host) return false;
    const pid = Number(writer[2]);
    return pid !== process.pid && !processExists(pid);
  };

  return {
    location: root,
    async write(key, bytes) {
      const target = resolve(key);
      await Promise.all([mkdir(path.dirname(target), { recursive: true }), mkdir(stagingDir, { recursive: true })]);
      const staging = path.join(stagingDir, `${host}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`);
      try {
        await writeFile(staging, bytes);
        writes += 1;
        if (writes > 1) faultPoint(EXPORT_DRILL);
        // rename() within one filesystem is atomic: readers see the previous file until the new one lands.
        await rename(staging, target);
      } catch (error) {
        await rm(staging, { force: true });
        throw error;
      }
    },
    async read(key) {
      try {
        return await readFile(resolve(key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async list(prefix) {
      const base = resolve(prefix);
      try {
        const entries = await readdir(base, { recursive: true, withFileTypes: true });
        return entries
          .filter((entry) => !entry.isDirectory())
          .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
          .sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    },
    async remove(key) {
      await rm(resolve(key), { force: true });
    },
    async sweepStaging() {
      let names: string[];
      try {
        names = await readdir(stagingDir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      const swept: string[] = [];
      for (const name of names.sort()) {
        const file = path.join(stagingDir, name);
        try {
          const stats = await lstat(file);
          if (!stats.isFile() || !abandoned(name, stats.mtimeMs)) continue;
        } catch (error) {
          // Published (renamed away) by its live writer since the listing.
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw error;
        }
        await rm(file, { force: true });
        swept.push(`${STAGING_PREFIX}${name}`);
      }
      return swept;
    },
    async close() {},
  };
}

async function openS3Lake(target: Extract<Config['lake'], { mode: 's3' }>): Promise<Lake> {
  const { S3Client, PutObjectCommand, GetObjectCommand, ListObjectsV2Command, DeleteObjectCommand, NoSuchKey } = await import('@aws-sdk/client-s3');
  // Credentials and region come only from the AWS SDK's default provider chain (environment, shared
  // files, web identity / IRSA, ECS or EC2 instance roles); nothing of them passes through our config.
  const client = new S3Client({
    ...(target.endpoint ? { endpoint: target.endpoint, forcePathStyle: true } : {}),
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    // A store that stops answering fails the request (the SDK retries, then the task does) instead of hanging.
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
  });
  const location = `s3://${target.bucket}/${target.prefix}`;
  const name = `S3 lake ${location}${target.endpoint ? ` at ${displayUrl(target.endpoint)}` : ''}`;
  const objectKey = (key: string) => (target.prefix ? `${target.prefix}/${key}` : key);
  const attempt = async <R>(action: string, work: () => Promise<R>): Promise<R> => {
    try {
      return await work();
    } catch (error) {
      throw targetError(name, action, error);
    }
  };
  let writes = 0;
  return {
    location,
    write(key, bytes) {
      // One PUT per partition: S3 replaces an object atomically, so a reader gets the old partition or
      // the new one, never half of it (the SDK also sends a checksum the store verifies). Nothing is
      // staged, so a writer that dies leaves no object behind.
      return attempt(`writing ${key}`, async () => {
        const put = () => client.send(new PutObjectCommand({ Bucket: target.bucket, Key: objectKey(key), Body: bytes, ContentType: 'application/vnd.apache.parquet' }));
        writes += 1;
        await (writes > 1 ? killWhileRunning(EXPORT_DRILL, put) : put());
      });
    },
    read(key) {
      return attempt(`reading ${key}`, async () => {
        try {
          const response = await client.send(new GetObjectCommand({ Bucket: target.bucket, Key: objectKey(key) }));
          return response.Body ? Buffer.from(await response.Body.transformToByteArray()) : undefined;
        } catch (error) {
          if (error instanceof NoSuchKey) return undefined;
          throw error;
        }
      });
    },
    list(prefix) {
      return attempt(`listing ${prefix}`, async () => {
        const keys: string[] = [];
        let continuationToken: string | undefined;
        do {
          const page = await client.send(new ListObjectsV2Command({ Bucket: target.bucket, Prefix: objectKey(prefix), ContinuationToken: continuationToken }));
          for (const object of page.Contents ?? []) {
            if (object.Key) keys.push(target.prefix ? object.Key.slice(target.prefix.length + 1) : object.Key);
          }
          continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (continuationToken);
        return keys.sort();
      });
    },
    remove(key) {
      return attempt(`deleting ${key}`, async () => {
        await client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: objectKey(key) }));
      });
    },
    async sweepStaging() {
      // A PUT stages nothing: an upload cut short is never an object.
      return [];
    },
    async close() {
      client.destroy();
    },
  };
}
