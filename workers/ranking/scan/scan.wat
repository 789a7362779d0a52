;; SIMD dot-product scans for workers/ranking/scan. Regenerate the inlined bytes
;; (scan-wasm.ts) with `node --import tsx scripts/build-wasm.ts` (needs wabt).
;;
;; Memory is exported; the JS side lays out vectors, query, scales and output
;; and grows it as needed. Every row starts 16-byte aligned; rows are padded
;; with zeros to `rowBytes`, a multiple of 16.
(module
  (memory (export "memory") 1)

  ;; out[i] = f32(Σ_d vec_i[d] · q[d]) · scale[i] for i in 0..n-1
  ;; vec: n rows of int8, rowBytes each. q: the query widened to int16
  ;; (2 · rowBytes bytes), so each 16-byte vector chunk meets two ready i16x8.
  (func (export "scanI8")
    (param $vec i32) (param $q i32) (param $scale i32) (param $out i32)
    (param $n i32) (param $rowBytes i32)
    (local $i i32) (local $j i32) (local $x v128) (local $acc v128) (local $sum i32)
    (if (i32.eqz (local.get $n)) (then (return)))
    (loop $rows
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (loop $chunks
        (local.set $x (v128.load (i32.add (local.get $vec) (local.get $j))))
        (local.set $acc
          (i32x4.add (local.get $acc)
            (i32x4.add
              (i32x4.dot_i16x8_s
                (i16x8.extend_low_i8x16_s (local.get $x))
                (v128.load (i32.add (local.get $q) (i32.shl (local.get $j) (i32.const 1)))))
              (i32x4.dot_i16x8_s
                (i16x8.extend_high_i8x16_s (local.get $x))
                (v128.load offset=16 (i32.add (local.get $q) (i32.shl (local.get $j) (i32.const 1))))))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br_if $chunks (i32.lt_u (local.get $j) (local.get $rowBytes))))
      (local.set $sum
        (i32.add
          (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
          (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
      (f32.store (local.get $out)
        (f32.mul (f32.convert_i32_s (local.get $sum)) (f32.load (local.get $scale))))
      (local.set $vec (i32.add (local.get $vec) (local.get $rowBytes)))
      (local.set $scale (i32.add (local.get $scale) (i32.const 4)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $i) (local.get $n)))))

  ;; out[i] = Σ_d vec_i[d] · q[d] in f32 for i in 0..n-1. vec: n rows of f32,
  ;; rowBytes each (a multiple of 32: two independent accumulators).
  (func (export "scanF32")
    (param $vec i32) (param $q i32) (param $out i32) (param $n i32) (param $rowBytes i32)
    (local $i i32) (local $j i32) (local $a v128) (local $b v128)
    (if (i32.eqz (local.get $n)) (then (return)))
    (loop $rows
      (local.set $a (v128.const i32x4 0 0 0 0))
      (local.set $b (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (loop $chunks
        (local.set $a
          (f32x4.add (local.get $a)
            (f32x4.mul
              (v128.load (i32.add (local.get $vec) (local.get $j)))
              (v128.load (i32.add (local.get $q) (local.get $j))))))
        (local.set $b
          (f32x4.add (local.get $b)
            (f32x4.mul
              (v128.load offset=16 (i32.add (local.get $vec) (local.get $j)))
              (v128.load offset=16 (i32.add (local.get $q) (local.get $j))))))
        (local.set $j (i32.add (local.get $j) (i32.const 32)))
        (br_if $chunks (i32.lt_u (local.get $j) (local.get $rowBytes))))
      (local.set $a (f32x4.add (local.get $a) (local.get $b)))
      (f32.store (local.get $out)
        (f32.add
          (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
          (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))
      (local.set $vec (i32.add (local.get $vec) (local.get $rowBytes)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $i) (local.get $n)))))
;; The lanes of all i32x4 in [ptr, ptr + bytes) summed (bytes: a multiple of 64):
  ;; a pure sequential read, which bench/topk uses as the memory-bandwidth ceiling.
  (func (export "sumI32") (param $ptr i32) (param $bytes i32) (result i32)
    (local $end i32) (local $a v128) (local $b v128)
    (local.set $end (i32.add (local.get $ptr) (local.get $bytes)))
    (if (i32.eqz (local.get $bytes)) (then (return (i32.const 0))))
    (loop $chunks
      (local.set $a (i32x4.add (local.get $a) (v128.load (local.get $ptr))))
      (local.set $b (i32x4.add (local.get $b) (v128.load offset=16 (local.get $ptr))))
      (local.set $a (i32x4.add (local.get $a) (v128.load offset=32 (local.get $ptr))))
      (local.set $b (i32x4.add (local.get $b) (v128.load offset=48 (local.get $ptr))))
      (local.set $ptr (i32.add (local.get $ptr) (i32.const 64)))
      (br_if $chunks (i32.lt_u (local.get $ptr) (local.get $end))))
    (local.set $a (i32x4.add (local.get $a) (local.get $b)))
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $a)) (i32x4.extract_lane 1 (local.get $a)))
      (i32.add (i32x4.extract_lane 2 (local.get $a)) (i32x4.extract_lane 3 (local.get $a)))))
)
