#include "textflag.h"

// func kernRows6x16(a *float32, lda int, offs *int32, cnt int, panel, c *float32, ldc int, bias *[16]float32, clip int)
//
// acc[q, 0:16] = Σ_{s<cnt} a[q·lda + p_s] · panel[16·p_s : 16·p_s+16] for the six input rows
// q < 6, where offs[s] = 4·p_s; then c[q, 0:16] = acc[q] + bias, clipped to [0, 6] when
// clip ≠ 0. Twelve YMM accumulators; the accumulator is added to the bias (not the bias to a
// running sum), as Conv2D adds the GEMM to its bias rows.
TEXT ·kernRows6x16(SB), NOSPLIT, $0-72
	MOVQ a+0(FP), AX
	MOVQ lda+8(FP), R8
	SHLQ $2, R8
	LEAQ (AX)(R8*1), R9
	LEAQ (R9)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	MOVQ offs+16(FP), SI
	MOVQ cnt+24(FP), CX
	MOVQ panel+32(FP), BX
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
	TESTQ CX, CX
	JE    store

loop:
	MOVLQSX      (SI), DX
	MOVQ         DX, R14
	SHLQ         $4, R14
	VMOVUPS      (BX)(R14*1), Y0
	VMOVUPS      32(BX)(R14*1), Y1
	VBROADCASTSS (AX)(DX*1), Y2
	VBROADCASTSS (R9)(DX*1), Y3
	VFMADD231PS  Y0, Y2, Y4
	VFMADD231PS  Y1, Y2, Y5
	VFMADD231PS  Y0, Y3, Y6
	VFMADD231PS  Y1, Y3, Y7
	VBROADCASTSS (R10)(DX*1), Y2
	VBROADCASTSS (R11)(DX*1), Y3
	VFMADD231PS  Y0, Y2, Y8
	VFMADD231PS  Y1, Y2, Y9
	VFMADD231PS  Y0, Y3, Y10
	VFMADD231PS  Y1, Y3, Y11
	VBROADCASTSS (R12)(DX*1), Y2
	VBROADCASTSS (R13)(DX*1), Y3
	VFMADD231PS  Y0, Y2, Y12
	VFMADD231PS  Y1, Y2, Y13
	VFMADD231PS  Y0, Y3, Y14
	VFMADD231PS  Y1, Y3, Y15
	ADDQ         $4, SI
	DECQ         CX
	JNZ          loop

store:
	MOVQ    c+40(FP), DI
	MOVQ    ldc+48(FP), R10
	SHLQ    $2, R10
	MOVQ    bias+56(FP), DX
	VMOVUPS (DX), Y0
	VMOVUPS 32(DX), Y1
	VADDPS  Y0, Y4, Y4
	VADDPS  Y1, Y5, Y5
	VADDPS  Y0, Y6, Y6
	VADDPS  Y1, Y7, Y7
	VADDPS  Y0, Y8, Y8
	VADDPS  Y1, Y9, Y9
	VADDPS  Y0, Y10, Y10
	VADDPS  Y1, Y11, Y11
	VADDPS  Y0, Y12, Y12
	VADDPS  Y1, Y13, Y13
	VADDPS  Y0, Y14, Y14
	VADDPS  Y1, Y15, Y15
	MOVQ    clip+64(FP), DX
	TESTQ   DX, DX
	JE      write
	VXORPS  Y2, Y2, Y2
	MOVL    $0x40c00000, DX
	VMOVD   DX, X3
	VBROADCASTSS X3, Y3
	VMAXPS  Y2, Y4, Y4
	VMINPS  Y3, Y4, Y4
	VMAXPS  Y2, Y5, Y5
	VMINPS  Y3, Y5, Y5
	VMAXPS  Y2, Y6, Y6
	VMINPS  Y3, Y6, Y6
	VMAXPS  Y2, Y7, Y7
	VMINPS  Y3, Y7, Y7
	VMAXPS  Y2, Y8, Y8
	VMINPS  Y3, Y8, Y8
	VMAXPS  Y2, Y9, Y9
	VMINPS  Y3, Y9, Y9
	VMAXPS  Y2, Y10, Y10
	VMINPS  Y3, Y10, Y10
	VMAXPS  Y2, Y11, Y11
	VMINPS  Y3, Y11, Y11
	VMAXPS  Y2, Y12, Y12
	VMINPS  Y3, Y12, Y12
	VMAXPS  Y2, Y13, Y13
	VMINPS  Y3, Y13, Y13
	VMAXPS  Y2, Y14, Y14
	VMINPS  Y3, Y14, Y14
	VMAXPS  Y2, Y15, Y15
	VMINPS  Y3, Y15, Y15

write:
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
	ADDQ    R10, DI
	VMOVUPS Y6, (DI)
	VMOVUPS Y7, 32(DI)
	ADDQ    R10, DI
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, 32(DI)
	ADDQ    R10, DI
	VMOVUPS Y10, (DI)
	VMOVUPS Y11, 32(DI)
	ADDQ    R10, DI
	VMOVUPS Y12, (DI)
	VMOVUPS Y13, 32(DI)
	ADDQ    R10, DI
	VMOVUPS Y14, (DI)
	VMOVUPS Y15, 32(DI)
	VZEROUPPER
	RET

// func nonzeroSteps(a *float32, lda, k int, offs *int32) int
//
// Writes 4·p to offs, in increasing order, for every column p < k where any of the six rows
// a[q·lda : q·lda+k] (q < 6) has a value whose bits are not all zero, and returns how many
// it wrote. Eight columns per step with AVX2.
TEXT ·nonzeroSteps(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), AX
	MOVQ lda+8(FP), R8
	SHLQ $2, R8
	LEAQ (AX)(R8*1), R9
	LEAQ (R9)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	MOVQ k+16(FP), CX
	MOVQ offs+24(FP), DI
	MOVQ DI, SI
	XORQ DX, DX
	VPXOR Y7, Y7, Y7
	MOVQ CX, R8
	ANDQ $-8, R8
	SHLQ $2, R8

loop8:
	CMPQ      DX, R8
	JGE       tail
	VMOVUPS   (AX)(DX*1), Y0
	VORPS     (R9)(DX*1), Y0, Y0
	VORPS     (R10)(DX*1), Y0, Y0
	VORPS     (R11)(DX*1), Y0, Y0
	VORPS     (R12)(DX*1), Y0, Y0
	VORPS     (R13)(DX*1), Y0, Y0
	VPCMPEQD  Y7, Y0, Y0
	VMOVMSKPS Y0, BX
	XORL      $0xff, BX

bits:
	TESTL BX, BX
	JE    next8
	BSFL  BX, R14
	LEAQ  (DX)(R14*4), R14
	MOVL  R14, (DI)
	ADDQ  $4, DI
	LEAL  -1(BX), R14
	ANDL  R14, BX
	JMP   bits

next8:
	ADDQ $32, DX
	JMP  loop8

tail:
	MOVQ CX, R8
	SHLQ $2, R8

tailloop:
	CMPQ  DX, R8
	JGE   done
	MOVL  (AX)(DX*1), BX
	ORL   (R9)(DX*1), BX
	ORL   (R10)(DX*1), BX
	ORL   (R11)(DX*1), BX
	ORL   (R12)(DX*1), BX
	ORL   (R13)(DX*1), BX
	TESTL BX, BX
	JE    tnext
	MOVL  DX, (DI)
	ADDQ  $4, DI

tnext:
	ADDQ $4, DX
	JMP  tailloop

done:
	SUBQ SI, DI
	SHRQ $2, DI
	MOVQ DI, ret+32(FP)
	VZEROUPPER
	RET

// func kernTiles6x16(a *float32, lda int, offs *int32, offsStride int, cnts *int, nt int, panel, c *float32, ldc int, bias *[16]float32, clip int)
//
// kernRows6x16 for nt consecutive row tiles of one panel: tile t reads the six rows at
// a + 6t·lda, its steps at offs + t·offsStride (cnts[t] of them), and stores to
// c + 6t·ldc. One call per panel instead of one per tile.
TEXT ·kernTiles6x16(SB), NOSPLIT, $40-88
	MOVQ a+0(FP), AX
	MOVQ AX, 0(SP)
	MOVQ offs+16(FP), AX
	MOVQ AX, 8(SP)
	MOVQ cnts+32(FP), AX
	MOVQ AX, 16(SP)
	MOVQ c+56(FP), AX
	MOVQ AX, 24(SP)
	MOVQ nt+40(FP), AX
	MOVQ AX, 32(SP)
	TESTQ AX, AX
	JE    tdone

tile:
	MOVQ 0(SP), AX
	MOVQ lda+8(FP), R8
	SHLQ $2, R8
	LEAQ (AX)(R8*1), R9
	LEAQ (R9)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	MOVQ 8(SP), SI
	MOVQ 16(SP), CX
	MOVQ (CX), CX
	MOVQ panel+48(FP), BX
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
	TESTQ CX, CX
	JE    tstore

tloop:
	MOVLQSX      (SI), DX
	MOVQ         DX, R14
	SHLQ         $4, R14
	VMOVUPS      (BX)(R14*1), Y0
	VMOVUPS      32(BX)(R14*1), Y1
	VBROADCASTSS (AX)(DX*1), Y2
	VBROADCASTSS (R9)(DX*1), Y3
	VFMADD231PS  Y0, Y2, Y4
	VFMADD231PS  Y1, Y2, Y5
	VFMADD231PS  Y0, Y3, Y6
	VFMADD231PS  Y1, Y3, Y7
	VBROADCASTSS (R10)(DX*1), Y2
	VBROADCASTSS (R11)(DX*1), Y3
	VFMADD231PS  Y0, Y2, Y8
	VFMADD231PS  Y1, Y2, Y9
	VFMADD231PS  Y0, Y3, Y10
	VFMADD231PS  Y1, Y3, Y11
	VBROADCASTSS (R12)(DX*1), Y2
	VBROADCASTSS (R13)(DX*1), Y3
	VFMADD231PS  Y0, Y2, Y12
	VFMADD231PS  Y1, Y2, Y13
	VFMADD231PS  Y0, Y3, Y14
	VFMADD231PS  Y1, Y3, Y15
	ADDQ         $4, SI
	DECQ         CX
	JNZ          tloop

tstore:
	MOVQ    24(SP), DI
	MOVQ    ldc+64(FP), R10
	SHLQ    $2, R10
	MOVQ    bias+72(FP), DX
	VMOVUPS (DX), Y0
	VMOVUPS 32(DX), Y1
	VADDPS  Y0, Y4, Y4
	VADDPS  Y1, Y5, Y5
	VADDPS  Y0, Y6, Y6
	VADDPS  Y1, Y7, Y7
	VADDPS  Y0, Y8, Y8
	VADDPS  Y1, Y9, Y9
	VADDPS  Y0, Y10, Y10
	VADDPS  Y1, Y11, Y11
	VADDPS  Y0, Y12, Y12
	VADDPS  Y1, Y13, Y13
	VADDPS  Y0, Y14, Y14
	VADDPS  Y1, Y15, Y15
	MOVQ    clip+80(FP), DX
	TESTQ   DX, DX
	JE      twrite
	VXORPS  Y2, Y2, Y2
	MOVL    $0x40c00000, DX
	VMOVD   DX, X3
	VBROADCASTSS X3, Y3
	VMAXPS  Y2, Y4, Y4
	VMINPS  Y3, Y4, Y4
	VMAXPS  Y2, Y5, Y5
	VMINPS  Y3, Y5, Y5
	VMAXPS  Y2, Y6, Y6
	VMINPS  Y3, Y6, Y6
	VMAXPS  Y2, Y7, Y7
	VMINPS  Y3, Y7, Y7
	VMAXPS  Y2, Y8, Y8
	VMINPS  Y3, Y8, Y8
	VMAXPS  Y2, Y9, Y9
	VMINPS  Y3, Y9, Y9
	VMAXPS  Y2, Y10, Y10
	VMINPS  Y3, Y10, Y10
	VMAXPS  Y2, Y11, Y11
	VMINPS  Y3, Y11, Y11
	VMAXPS  Y2, Y12, Y12
	VMINPS  Y3, Y12, Y12
	VMAXPS  Y2, Y13, Y13
	VMINPS  Y3, Y13, Y13
	VMAXPS  Y2, Y14, Y14
	VMINPS  Y3, Y14, Y14
	VMAXPS  Y2, Y15, Y15
	VMINPS  Y3, Y15, Y15

twrite:
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
	ADDQ    R10, DI
	VMOVUPS Y6, (DI)
	VMOVUPS Y7, 32(DI)
	ADDQ    R10, DI
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, 32(DI)
	ADDQ    R10, DI
	VMOVUPS Y10, (DI)
	VMOVUPS Y11, 32(DI)
	ADDQ    R10, DI
	VMOVUPS Y12, (DI)
	VMOVUPS Y13, 32(DI)
	ADDQ    R10, DI
	VMOVUPS Y14, (DI)
	VMOVUPS Y15, 32(DI)
	ADDQ    R10, DI
	MOVQ    DI, 24(SP)          // c of the next tile: six rows on
	MOVQ    0(SP), AX
	LEAQ    (R8)(R8*2), DX
	LEAQ    (AX)(DX*2), AX       // a + 6·lda
	MOVQ    AX, 0(SP)
	MOVQ    offsStride+24(FP), DX
	SHLQ    $2, DX
	ADDQ    DX, 8(SP)
	ADDQ    $8, 16(SP)
	DECQ    32(SP)
	JNZ     tile

tdone:
	VZEROUPPER
	RET
