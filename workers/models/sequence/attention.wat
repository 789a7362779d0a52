;; SIMD loops for the causal attention kernel (attention.ts). Regenerate the
;; inlined bytes (attention-wasm.ts) with `node --import tsx scripts/build-wasm.ts`
;; (needs wabt).
;;
;; Every function walks the same shapes: B left-padded rows of L positions,
;; row b real from o = L - lens[b]; [B, L, D] f32 tensors whose heads are
;; column blocks of dh = D / heads (dh a multiple of 4); per (b, head) an L×L
;; f32 matrix W (row i, column j) of which only the causal part o ≤ j ≤ i is
;; read or written. The O(L²) steps between these loops (bias, softmax,
;; dropout) stay in JS.
(module
  (memory (export "memory") 1)

  ;; W[i, j] = scale · (a_i · b_j) over one head's columns, o ≤ j ≤ i.
  (func (export "rowDots")
    (param $a i32) (param $bm i32) (param $w i32)
    (param $B i32) (param $L i32) (param $D i32) (param $heads i32) (param $lens i32) (param $scale f32)
    (local $b i32) (local $h i32) (local $i i32) (local $j i32) (local $t i32) (local $o i32)
    (local $dh4 i32) (local $rowBytes i32) (local $aBase i32) (local $bBase i32) (local $wBase i32)
    (local $ai i32) (local $bj i32) (local $wrow i32) (local $acc v128)
    (local.set $rowBytes (i32.shl (local.get $D) (i32.const 2)))
    (local.set $dh4 (i32.shl (i32.div_u (local.get $D) (local.get $heads)) (i32.const 2)))
    (block $bDone (loop $bLoop
      (br_if $bDone (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $o (i32.sub (local.get $L) (i32.load (i32.add (local.get $lens) (i32.shl (local.get $b) (i32.const 2))))))
      (local.set $h (i32.const 0))
      (block $hDone (loop $hLoop
        (br_if $hDone (i32.ge_u (local.get $h) (local.get $heads)))
        (local.set $aBase (i32.add (local.get $a)
          (i32.add (i32.mul (i32.mul (local.get $b) (local.get $L)) (local.get $rowBytes)) (i32.mul (local.get $h) (local.get $dh4)))))
        (local.set $bBase (i32.add (local.get $bm)
          (i32.add (i32.mul (i32.mul (local.get $b) (local.get $L)) (local.get $rowBytes)) (i32.mul (local.get $h) (local.get $dh4)))))
        (local.set $wBase (i32.add (local.get $w)
          (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $heads)) (local.get $h)) (i32.mul (local.get $L) (local.get $L))) (i32.const 2))))
        (local.set $i (local.get $o))
        (block $iDone (loop $iLoop
          (br_if $iDone (i32.ge_s (local.get $i) (local.get $L)))
          (local.set $ai (i32.add (local.get $aBase) (i32.mul (local.get $i) (local.get $rowBytes))))
          (local.set $wrow (i32.add (local.get $wBase) (i32.shl (i32.mul (local.get $i) (local.get $L)) (i32.const 2))))
          (local.set $j (local.get $o))
          (block $jDone (loop $jLoop
            (br_if $jDone (i32.gt_s (local.get $j) (local.get $i)))
            (local.set $bj (i32.add (local.get $bBase) (i32.mul (local.get $j) (local.get $rowBytes))))
            (local.set $acc (v128.const i32x4 0 0 0 0))
            (local.set $t (i32.const 0))
            (loop $tLoop
              (local.set $acc (f32x4.add (local.get $acc)
                (f32x4.mul (v128.load (i32.add (local.get $ai) (local.get $t))) (v128.load (i32.add (local.get $bj) (local.get $t))))))
              (local.set $t (i32.add (local.get $t) (i32.const 16)))
              (br_if $tLoop (i32.lt_u (local.get $t) (local.get $dh4))))
            (f32.store (i32.add (local.get $wrow) (i32.shl (local.get $j) (i32.const 2)))
              (f32.mul (local.get $scale)
                (f32.add
                  (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                  (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jLoop)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $iLoop)))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br $hLoop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bLoop))))

  ;; y_i += Σ_{o ≤ j ≤ i} W[i, j] · x_j over one head's columns (attention output, dQ).
  (func (export "mixRows")
    (param $w i32) (param $x i32) (param $y i32)
    (param $B i32) (param $L i32) (param $D i32) (param $heads i32) (param $lens i32)
    (local $b i32) (local $h i32) (local $i i32) (local $j i32) (local $t i32) (local $o i32)
    (local $dh4 i32) (local $rowBytes i32) (local $xBase i32) (local $yBase i32) (local $wBase i32)
    (local $yi i32) (local $wrow i32) (local $acc v128)
    (local.set $rowBytes (i32.shl (local.get $D) (i32.const 2)))
    (local.set $dh4 (i32.shl (i32.div_u (local.get $D) (local.get $heads)) (i32.const 2)))
    (block $bDone (loop $bLoop
      (br_if $bDone (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $o (i32.sub (local.get $L) (i32.load (i32.add (local.get $lens) (i32.shl (local.get $b) (i32.const 2))))))
      (local.set $h (i32.const 0))
      (block $hDone (loop $hLoop
        (br_if $hDone (i32.ge_u (local.get $h) (local.get $heads)))
        (local.set $xBase (i32.add (local.get $x)
          (i32.add (i32.mul (i32.mul (local.get $b) (local.get $L)) (local.get $rowBytes)) (i32.mul (local.get $h) (local.get $dh4)))))
        (local.set $yBase (i32.add (local.get $y)
          (i32.add (i32.mul (i32.mul (local.get $b) (local.get $L)) (local.get $rowBytes)) (i32.mul (local.get $h) (local.get $dh4)))))
        (local.set $wBase (i32.add (local.get $w)
          (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $heads)) (local.get $h)) (i32.mul (local.get $L) (local.get $L))) (i32.const 2))))
        (local.set $i (local.get $o))
        (block $iDone (loop $iLoop
          (br_if $iDone (i32.ge_s (local.get $i) (local.get $L)))
          (local.set $yi (i32.add (local.get $yBase) (i32.mul (local.get $i) (local.get $rowBytes))))
          (local.set $wrow (i32.add (local.get $wBase) (i32.shl (i32.mul (local.get $i) (local.get $L)) (i32.const 2))))
          (local.set $t (i32.const 0))
          (loop $tLoop
            (local.set $acc (v128.load (i32.add (local.get $yi) (local.get $t))))
            (local.set $j (local.get $o))
            (block $jDone (loop $jLoop
              (br_if $jDone (i32.gt_s (local.get $j) (local.get $i)))
              (local.set $acc (f32x4.add (local.get $acc)
                (f32x4.mul
                  (f32x4.splat (f32.load (i32.add (local.get $wrow) (i32.shl (local.get $j) (i32.const 2)))))
                  (v128.load (i32.add (i32.add (local.get $xBase) (i32.mul (local.get $j) (local.get $rowBytes))) (local.get $t))))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $jLoop)))
            (v128.store (i32.add (local.get $yi) (local.get $t)) (local.get $acc))
            (local.set $t (i32.add (local.get $t) (i32.const 16)))
            (br_if $tLoop (i32.lt_u (local.get $t) (local.get $dh4))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $iLoop)))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br $hLoop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bLoop))))

  ;; y_j += Σ_{j ≤ i < L} W[i, j] · x_i over one head's columns (dK, dV).
  (func (export "mixRowsT")
    (param $w i32) (param $x i32) (param $y i32)
    (param $B i32) (param $L i32) (param $D i32) (param $heads i32) (param $lens i32)
    (local $b i32) (local $h i32) (local $i i32) (local $j i32) (local $t i32) (local $o i32)
    (local $dh4 i32) (local $rowBytes i32) (local $xBase i32) (local $yBase i32) (local $wBase i32)
    (local $yj i32) (local $wcol i32) (local $acc v128)
    (local.set $rowBytes (i32.shl (local.get $D) (i32.const 2)))
    (local.set $dh4 (i32.shl (i32.div_u (local.get $D) (local.get $heads)) (i32.const 2)))
    (block $bDone (loop $bLoop
      (br_if $bDone (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $o (i32.sub (local.get $L) (i32.load (i32.add (local.get $lens) (i32.shl (local.get $b) (i32.const 2))))))
      (local.set $h (i32.const 0))
      (block $hDone (loop $hLoop
        (br_if $hDone (i32.ge_u (local.get $h) (local.get $heads)))
        (local.set $xBase (i32.add (local.get $x)
          (i32.add (i32.mul (i32.mul (local.get $b) (local.get $L)) (local.get $rowBytes)) (i32.mul (local.get $h) (local.get $dh4)))))
        (local.set $yBase (i32.add (local.get $y)
          (i32.add (i32.mul (i32.mul (local.get $b) (local.get $L)) (local.get $rowBytes)) (i32.mul (local.get $h) (local.get $dh4)))))
        (local.set $wBase (i32.add (local.get $w)
          (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $heads)) (local.get $h)) (i32.mul (local.get $L) (local.get $L))) (i32.const 2))))
        (local.set $j (local.get $o))
        (block $jDone (loop $jLoop
          (br_if $jDone (i32.ge_s (local.get $j) (local.get $L)))
          (local.set $yj (i32.add (local.get $yBase) (i32.mul (local.get $j) (local.get $rowBytes))))
          (local.set $wcol (i32.add (local.get $wBase) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $t (i32.const 0))
          (loop $tLoop
            (local.set $acc (v128.load (i32.add (local.get $yj) (local.get $t))))
            (local.set $i (local.get $j))
            (block $iDone (loop $iLoop
              (br_if $iDone (i32.ge_s (local.get $i) (local.get $L)))
              (local.set $acc (f32x4.add (local.get $acc)
                (f32x4.mul
                  (f32x4.splat (f32.load (i32.add (local.get $wcol) (i32.shl (i32.mul (local.get $i) (local.get $L)) (i32.const 2)))))
                  (v128.load (i32.add (i32.add (local.get $xBase) (i32.mul (local.get $i) (local.get $rowBytes))) (local.get $t))))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $iLoop)))
            (v128.store (i32.add (local.get $yj) (local.get $t)) (local.get $acc))
            (local.set $t (i32.add (local.get $t) (i32.const 16)))
            (br_if $tLoop (i32.lt_u (local.get $t) (local.get $dh4))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $jLoop)))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br $hLoop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bLoop))))
)
