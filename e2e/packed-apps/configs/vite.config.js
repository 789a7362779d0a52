// The README's Vite block: ES-module workers (Vite 7 defaults to IIFE, which cannot hold the lazy backend chunks).
export default { worker: { format: 'es' } };
