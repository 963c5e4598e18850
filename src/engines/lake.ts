import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { maskSecrets, type Config } from '../config.js';
import { targetError } from './errors.js';

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
  /** Keys below a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Releases connections (the S3 client's sockets). */
  close(): Promise<void>;
}

export async function openLake(target: Config['lake']): Promise<Lake> {
  return target.mode === 's3' ? openS3Lake(target) : openDirectoryLake(target.path);
}

function openDirectoryLake(root: string): Lake {
  const resolve = (key: string) => path.join(root, ...key.split('/'));
  return {
    location: root,
    async write(key, bytes) {
      const target = resolve(key);
      await mkdir(path.dirname(target), { recursive: true });
      // rename() within one directory is atomic: readers see the previous file until it lands.
      const staging = `${target}.${process.pid}.tmp`;
      await writeFile(staging, bytes);
      await rename(staging, target);
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
          .filter((entry) => entry.isFile() && !entry.name.endsWith('.tmp'))
          .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
          .sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    },
    async close() {},
  };
}

async function openS3Lake(target: Extract<Config['lake'], { mode: 's3' }>): Promise<Lake> {
  const { S3Client, PutObjectCommand, GetObjectCommand, ListObjectsV2Command, NoSuchKey } = await import('@aws-sdk/client-s3');
  // Credentials and region come only from the AWS SDK's default provider chain (environment, shared
  // files, web identity / IRSA, ECS or EC2 instance roles); nothing of them passes through our config.
  const client = new S3Client({
    ...(target.endpoint ? { endpoint: target.endpoint, forcePathStyle: true } : {}),
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    // A store that stops answering fails the request (the SDK retries, then the task does) instead of hanging.
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
  });
  const location = `s3://${target.bucket}/${target.prefix}`;
  const name = `S3 lake ${location}${target.endpoint ? ` at ${maskSecrets(target.endpoint)}` : ''}`;
  const objectKey = (key: string) => (target.prefix ? `${target.prefix}/${key}` : key);
  const attempt = async <R>(action: string, work: () => Promise<R>): Promise<R> => {
    try {
      return await work();
    } catch (error) {
      throw targetError(name, action, error);
    }
  };
  return {
    location,
    write(key, bytes) {
      // One PUT per partition: S3 replaces an object atomically, so a reader gets the old partition or
      // the new one, never half of it (the SDK also sends a checksum the store verifies).
      return attempt(`writing ${key}`, async () => {
        await client.send(new PutObjectCommand({ Bucket: target.bucket, Key: objectKey(key), Body: bytes, ContentType: 'application/vnd.apache.parquet' }));
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
    async close() {
      client.destroy();
    },
  };
}
