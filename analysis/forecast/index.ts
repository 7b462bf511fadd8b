export * from './forecast';
export * from './sampling';
