import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import type { QueryParams } from '../../engines/index.js';
import { registerSecrets } from '../../secrets.js';

/** A file in the landing location, as listed. */
export interface LandedFile {
  /** Absolute path, or s3://bucket/key. */
  location: string;
  size: number;
  modifiedAt: Date;
  /** S3's ETag; empty for a directory. */
  etag: string;
}

/**
 * Where files land: a directory or an S3 prefix. It lists what matches the glob, and says how ClickHouse
 * reads one file (the `file()` or `s3()` table function, its arguments bound as parameters).
 */
export interface Landing {
  readonly location: string;
  list(): Promise<LandedFile[]>;
  /** The table function reading `location` in ClickHouse's `format`; `{file_…}` parameters to bind. */
  tableFunction(location: string, format: string): Promise<{ sql: string; params: QueryParams }>;
}

export interface S3Options {
  endpoint?: string;
}

export function openLanding(location: string, glob: string, s3: S3Options = {}): Landing {
  const matches = picomatch(glob, { dot: false });
  return location.startsWith('s3://') ? s3Landing(location, matches, s3) : directoryLanding(location, matches);
}

function directoryLanding(root: string, matches: (relative: string) => boolean): Landing {
  return {
    location: root,
    async list() {
      let entries;
      try {
        entries = await readdir(root, { recursive: true, withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`The landing directory ${root} does not exist`, { cause: error });
        throw error;
      }
      const files: LandedFile[] = [];
      for (const entry of entries) {
        if (!entry.isFile()) continue;
        const full = path.join(entry.parentPath, entry.name);
        const relative = path.relative(root, full).split(path.sep).join('/');
        // A file being written by a lander that follows the dot or underscore convention is not taken yet.
        if (relative.split('/').some((part) => part.startsWith('.') || part.startsWith('_')) || !matches(relative)) continue;
        const stats = await stat(full);
        files.push({ location: full, size: stats.size, modifiedAt: stats.mtime, etag: '' });
      }
      return files.sort((a, b) => (a.location < b.location ? -1 : 1));
    },
    async tableFunction(location, format) {
      return { sql: `file({file_location:String}, '${format}')`, params: { file_location: location } };
    },
  };
}

function s3Landing(location: string, matches: (relative: string) => boolean, options: S3Options): Landing {
  const [, bucket, prefix = ''] = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location)!;
  const keyPrefix = prefix ? `${prefix}/` : '';
  let client: Promise<import('@aws-sdk/client-s3').S3Client> | undefined;
  const open = () =>
    (client ??= import('@aws-sdk/client-s3').then(
      ({ S3Client }) =>
        new S3Client({
          ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
          region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
        }),
    ));
  return {
    location,
    async list() {
      const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
      const s3 = await open();
      const files: LandedFile[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: keyPrefix, ContinuationToken: token }));
        for (const object of page.Contents ?? []) {
          const relative = object.Key!.slice(keyPrefix.length);
          if (relative.split('/').some((part) => part.startsWith('.') || part.startsWith('_')) || !matches(relative)) continue;
          files.push({ location: `s3://${bucket}/${object.Key}`, size: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date(0), etag: (object.ETag ?? '').replace(/"/g, '') });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return files.sort((a, b) => (a.location < b.location ? -1 : 1));
    },
    async tableFunction(fileLocation, format) {
      // ClickHouse reads the object itself, with the credentials of the AWS SDK's default chain (bound, never spliced).
      const credentials = await (await open()).config.credentials();
      // ClickHouse may quote the query, parameters substituted, in an error: the secret is masked there too.
      registerSecrets([credentials.secretAccessKey, ...(credentials.sessionToken ? [credentials.sessionToken] : [])]);
      const key = fileLocation.slice(`s3://${bucket}/`.length);
      const region = await (await open()).config.region();
      const base = options.endpoint ? `${options.endpoint.replace(/\/+$/, '')}/${bucket}` : `https://${bucket}.s3.${region}.amazonaws.com`;
      const url = `${base}/${key.split('/').map(encodeURIComponent).join('/')}`;
      const token = credentials.sessionToken ? ', {file_session_token:String}' : '';
      return {
        sql: `s3({file_url:String}, {file_key_id:String}, {file_secret:String}${token}, '${format}')`,
        params: { file_url: url, file_key_id: credentials.accessKeyId, file_secret: credentials.secretAccessKey, ...(credentials.sessionToken ? { file_session_token: credentials.sessionToken } : {}) },
      };
    },
  };
}
