export * from './console.module';
export * from './console-token.service';
export * from './console-feed.service';
export * from './console.gateway';
